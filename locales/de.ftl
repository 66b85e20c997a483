# rocket_passkeys: jeder Satz, den das Crate einer Person zeigt, auf Deutsch.
#
# Jede mitgelieferte Sprache hat eine Datei wie diese, mit denselben Message-IDs. Eine App
# fügt eine Sprache hinzu oder ersetzt einzelne Messages mit ihrer eigenen
# `<locales_dir>/<tag>.ftl`; fehlt dort eine Message, wird Englisch verwendet.
#
# Variablen: { $site } ist der Name der Website (`rp_name`), { $name } eigene Worte eines Nutzers.

## Die Sprache selbst, wie ihre Sprecher sie schreiben (das Sprachmenü zeigt sie).
language-name = Deutsch

## Jede Seite
layout-language = Sprache
layout-noscript = Passkeys benötigen JavaScript. Bitte aktivieren Sie es für diese Website.
optional = (optional)

## Anmeldeseite
sign-in-title = Anmelden
sign-in-heading = Bei { $site } anmelden
sign-in-username = Benutzername
sign-in-username-hint = Sie können das Feld leer lassen und Ihren Passkey auswählen.
sign-in-submit = Mit Passkey anmelden
sign-in-lost = Alle Geräte mit Ihrem Passkey verloren?
sign-in-recover = Wiederherstellungscode verwenden
sign-in-new = Neu hier?
sign-in-sign-up = Konto erstellen

## Registrierungsseite
sign-up-title = Konto erstellen
sign-up-lead = Ihr Konto bei { $site } verwendet einen Passkey statt eines Passworts.
sign-up-username = Benutzername
sign-up-display-name = Anzeigename
sign-up-display-name-hint = So soll Ihr Name angezeigt werden.
sign-up-submit = Konto mit Passkey erstellen
sign-up-about-title = Was ist ein Passkey?
sign-up-about =
    Mit einem Passkey melden Sie sich ohne Passwort an. Sie entsperren ihn genauso wie
    Ihr Gerät: mit der Displaysperre, per Fingerabdruck oder per Gesichtserkennung. Ihr
    Passwortmanager synchronisiert ihn zwischen Ihren Geräten, und er funktioniert nur
    auf dieser Website, sodass ihn Ihnen niemand durch einen Trick entlocken kann.
sign-up-have-account = Sie haben bereits ein Konto?
sign-up-sign-in = Anmelden

## Die Frage „Passkey erstellen?“
enroll-title = Passkey erstellen?
enroll-heading = Mit einem Passkey schneller anmelden
enroll-lead = Sie können sich bei { $site } anmelden, ohne Ihr Passwort einzugeben.
enroll-here-heading = Passkey auf diesem Gerät erstellen?
enroll-here-lead =
    Sie haben sich mit einem Passkey von einem anderen Gerät angemeldet. Wenn Sie auch
    auf diesem Gerät einen Passkey erstellen, können Sie sich hier ohne das andere Gerät
    bei { $site } anmelden.
enroll-about-title = Was ist ein Passkey?
enroll-about =
    Einen Passkey entsperren Sie genauso wie Ihr Gerät: mit der Displaysperre, per
    Fingerabdruck oder per Gesichtserkennung. Ihr Passwortmanager synchronisiert ihn
    zwischen Ihren Geräten. Er funktioniert nur auf dieser Website, sodass ihn Ihnen
    niemand durch einen Trick entlocken kann, und er deckt bei einer zweistufigen
    Anmeldung beide Schritte ab.
enroll-create = Passkey erstellen
enroll-skip = Jetzt nicht
enroll-never = Nicht mehr fragen
enroll-later = Sie können auch später in Ihren Kontoeinstellungen einen Passkey erstellen.

## Wiederherstellungsseite
recover-title = Konto wiederherstellen
recover-lead =
    Alle Geräte mit Ihrem Passkey verloren? Melden Sie sich mit einem der
    Wiederherstellungscodes an, die Sie beim Erstellen Ihres Kontos gespeichert haben.
    Jeder Code funktioniert nur einmal.
recover-username = Benutzername
recover-code = Wiederherstellungscode
# { $example } ist ein erfundener Code, unverändert angezeigt.
recover-code-hint = Zum Beispiel { $example }. Bindestriche sowie Groß- und Kleinschreibung spielen keine Rolle.
recover-submit = Mit Wiederherstellungscode anmelden
recover-after =
    Wenn Sie sich mit einem Code anmelden, werden Sie überall sonst abgemeldet.
    Erstellen Sie danach einen neuen Passkey auf diesem Gerät.
recover-back = Zurück zur Anmeldung

## Wiederherstellungscodes, nur einmal angezeigt
codes-title = Wiederherstellungscodes speichern
codes-lead =
    Wenn Sie alle Geräte mit Ihrem Passkey verlieren, können Sie sich mit jedem dieser
    Codes einmal anmelden, um einen neuen Passkey zu erstellen. Bewahren Sie die Codes
    an einem sicheren Ort auf, etwa in Ihrem Passwortmanager oder ausgedruckt. Sie
    werden nur dieses eine Mal angezeigt.
codes-saved = Ich habe die Codes gespeichert

## Passkey-Verwaltung
manage-title = Ihre Passkeys
# { $name } ist der Anzeigename; { $username } folgt, wenn er sich unterscheidet.
manage-signed-in-as = Angemeldet als { $name }
manage-signed-in-as-username = Angemeldet als { $name } ({ $username })
manage-recovered =
    Sie haben sich mit einem Wiederherstellungscode angemeldet, und alle anderen
    Sitzungen wurden beendet. Erstellen Sie jetzt einen neuen Passkey auf diesem Gerät
    und löschen Sie die Passkeys, die Sie verloren haben.
manage-passkeys = Passkeys
manage-name = Name
manage-synced = Auf Ihren Geräten synchronisiert
manage-device-only = Nur auf diesem Gerät
manage-provider-unknown = Passkey
manage-created = Erstellt am { $date }
manage-last-used = Zuletzt verwendet am { $date }
manage-never-used = Nie verwendet
manage-rename = Umbenennen
manage-delete = Löschen
manage-none = Sie haben noch keine Passkeys.
manage-add = Passkey hinzufügen
manage-factor-required =
    Um Passkeys hinzuzufügen, umzubenennen oder zu löschen, schließen Sie zuerst die
    Anmeldung ab (Ihr Konto hat einen weiteren Schritt, etwa einen Code aus einer
    Authenticator-App).
manage-delete-note =
    Wenn Sie einen Passkey hier löschen, wird er nicht von Ihrem Gerät oder aus Ihrem
    Passwortmanager entfernt; Browser, die das unterstützen, werden aufgefordert, ihn
    zu vergessen.
manage-recovery-title = Wiederherstellungscodes
# { $left } von { $total } Codes sind noch unbenutzt.
manage-recovery-left =
    { $left ->
        [one] { $left } von { $total } Codes ist noch unbenutzt. Mit jedem Code können Sie sich einmal anmelden, falls Sie alle Passkeys verlieren.
       *[other] { $left } von { $total } Codes sind noch unbenutzt. Mit jedem Code können Sie sich einmal anmelden, falls Sie alle Passkeys verlieren.
    }
manage-recovery-new = Neue Codes erstellen
manage-recovery-note = Neue Codes ersetzen die alten, die dann nicht mehr funktionieren.

## Sitzungen, auf der Verwaltungsseite
sessions-title = Wo Sie angemeldet sind
sessions-unknown-device = Ein Gerät, das seit der Anmeldung nicht mehr aktiv war
session-device = { $browser } unter { $os }
session-device-os = Ein Browser unter { $os }
session-device-unknown = Unbekanntes Gerät
sessions-this-device = Dieses Gerät
# { $method } ist eine der session-method-*-Wendungen unten; { $date } der Zeitpunkt der Anmeldung.
sessions-signed-in-with = Angemeldet mit { $method } · { $date }
sessions-last-seen = Zuletzt aktiv am { $date }
sessions-sign-out = Abmelden
sessions-sign-out-device = Dieses Gerät abmelden
sessions-limited = Um Ihre anderen Sitzungen zu sehen und zu beenden, schließen Sie zuerst die Anmeldung ab.
sessions-sign-out-others = Überall sonst abmelden
session-method-passkey-named = dem Passkey „{ $name }“
session-method-passkey = einem Passkey
session-method-password = einem Passwort
session-method-one-time-code = einem Einmalcode
session-method-email-link = einem E-Mail-Link
session-method-external = einem anderen Konto
session-method-recovery-code = einem Wiederherstellungscode
session-method-other = einer anderen Methode
# Zwei oder mehr Methoden, etwa „einem Passwort und einem Einmalcode“.
session-method-and = { $first } und { $second }

## Hinweise, wenn ein Formular auf der Verwaltungsseite fehlgeschlagen ist
notice-reauth =
    Um andere Geräte abzumelden, melden Sie sich zuerst erneut an: Ihre Anmeldung
    liegt mehr als ein paar Minuten zurück.
notice-session-gone = Diese Sitzung wurde bereits beendet.
notice-factor = Schließen Sie zuerst die Anmeldung ab (Ihr Konto hat einen weiteren Schritt).

## Datum und Uhrzeit. { $day }, { $hour } und { $minute } sind Zahlen; { $month } ist 1 bis 12.
date-time =
    { $day }. { $month ->
        [1] Januar
        [2] Februar
        [3] März
        [4] April
        [5] Mai
        [6] Juni
        [7] Juli
        [8] August
        [9] September
        [10] Oktober
        [11] November
       *[12] Dezember
    } { $year }, { $hour }:{ $minute } UTC

## Meldungen des Browser-Skripts
script-generic = Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.
script-network = Der Server ist nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.
script-rate-limited = Zu viele Versuche. Bitte warten Sie einen Moment und versuchen Sie es erneut.
script-cancelled = Es wurde kein Passkey verwendet. Falls auf diesem Gerät keiner für diese Website gespeichert ist, verwenden Sie ein anderes Gerät oder melden Sie sich auf andere Weise an.
script-already-registered = Auf diesem Gerät gibt es bereits einen Passkey für dieses Konto.
script-security = Passkeys können unter dieser Adresse nicht verwendet werden. Bitte überprüfen Sie die Adresse der Website.
script-constraint = Dieses Gerät erfüllt nicht alle Voraussetzungen für den Passkey, etwa eine Displaysperre.
script-not-supported = Dieses Gerät oder dieser Browser kann die Art von Passkey, die diese Website benötigt, nicht erstellen.
script-insecure-context = Passkeys benötigen eine sichere Verbindung (HTTPS).
script-unsupported = Dieser Browser unterstützt keine Passkeys. Bitte verwenden Sie einen anderen Browser oder aktualisieren Sie diesen.
script-confirm-codes = Neue Wiederherstellungscodes erstellen? Ihre bisherigen Codes funktionieren dann nicht mehr.
# { $name } ist der Name des Passkeys.
script-confirm-delete = Den Passkey „{ $name }“ löschen? Sie können sich dann nicht mehr damit anmelden.
script-codes-alert = Speichern Sie Ihre Wiederherstellungscodes, die nur dieses eine Mal angezeigt werden:

## Fehlermeldungen der JSON-API, nach ihrem festen Fehlercode
error-invalid-request = Die Anfrage ist ungültig.
error-payload-too-large = Die Anfrage ist zu groß.
error-unsupported-media-type = Senden Sie die Anfrage als JSON.
error-request-timeout = Die Anfrage hat zu lange gedauert. Bitte versuchen Sie es erneut.
error-ceremony-not-found = Für diesen Browser steht keine Passkey-Anfrage aus, oder sie ist abgelaufen. Bitte versuchen Sie es erneut.
error-registration-failed = Der Passkey konnte nicht erstellt werden. Bitte versuchen Sie es erneut.
error-credential-exists = Dieser Passkey ist bereits registriert.
error-username-taken = Dieser Benutzername ist bereits vergeben. Bitte wählen Sie einen anderen.
error-authentication-failed = Die Anmeldung mit diesem Passkey hat nicht funktioniert. Versuchen Sie es erneut oder verwenden Sie einen anderen Passkey.
error-unauthorized = Bitte melden Sie sich zuerst an.
error-reauth-required = Bitte bestätigen Sie, dass Sie es sind: Melden Sie sich erneut an und versuchen Sie es dann noch einmal.
error-factor-required = Schließen Sie zuerst die Anmeldung ab (den zweiten Schritt dieses Kontos oder einen Passkey) und fügen Sie dann den Passkey hinzu.
error-forbidden = Das ist hier nicht erlaubt.
error-not-found = Hier gibt es nichts.
error-conflict = Das passt nicht zum aktuellen Stand Ihres Kontos. Bitte laden Sie die Seite neu und versuchen Sie es erneut.
error-last-passkey = Dies ist Ihr einziger Passkey und Ihre einzige Möglichkeit, sich anzumelden. Fügen Sie einen weiteren Passkey hinzu, bevor Sie diesen löschen.
# { $max } ist die Höchstzahl an Passkeys pro Konto.
error-too-many-passkeys =
    { $max ->
        [one] Dieses Konto hat bereits { $max } Passkey, die erlaubte Höchstzahl. Löschen Sie ihn, um einen anderen hinzuzufügen.
       *[other] Dieses Konto hat bereits { $max } Passkeys, die erlaubte Höchstzahl. Löschen Sie einen, um einen anderen hinzuzufügen.
    }
error-recovery-failed = Benutzername und Wiederherstellungscode passen zu keinem unbenutzten Code.
error-rate-limited = Zu viele Versuche. Bitte warten Sie einen Moment und versuchen Sie es erneut.
error-unavailable = Der Dienst ist kurzzeitig nicht verfügbar. Bitte versuchen Sie es gleich noch einmal.
error-internal = Bei uns ist etwas schiefgelaufen.
## Genauere Fehler
error-other-site = Diese Anfrage kam von einer anderen Website.
error-sign-up-closed = Auf dieser Website können keine neuen Konten erstellt werden.
error-signed-in = Sie sind angemeldet: Melden Sie sich ab, bevor Sie ein weiteres Konto erstellen.
error-username-missing = Wählen Sie einen Benutzernamen.
# { $field } ist `username`, `display_name` oder `name` (der Name eines Passkeys).
error-name-too-long =
    { $field ->
        [username] Der Benutzername
        [display_name] Der Anzeigename
       *[name] Der Name
    } darf höchstens { $max } Zeichen lang sein.
error-name-invisible =
    { $field ->
        [username] Der Benutzername
        [display_name] Der Anzeigename
       *[name] Der Name
    } darf keine Steuerzeichen oder unsichtbaren Formatierungszeichen enthalten.
error-passkey-not-found = Sie haben keinen Passkey mit dieser ID.
error-passkey-name-missing = Geben Sie dem Passkey einen Namen mit 1 bis 64 Zeichen.
error-session-not-found = Sie haben keine Sitzung mit dieser ID.
error-never-not-offered = „Nicht mehr fragen“ wird auf dieser Website nicht angeboten.
error-recovery-not-offered = Wiederherstellungscodes sind für dieses Konto nicht verfügbar.
error-recovery-too-long = Ein Benutzername oder Wiederherstellungscode ist zu lang.
