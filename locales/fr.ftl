# rocket_passkeys : chaque phrase que la crate montre à une personne, en français.
#
# Chaque langue livrée a un fichier comme celui-ci, avec les mêmes identifiants de message.
# Une application ajoute une langue ou remplace certains messages avec son propre
# `<locales_dir>/<tag>.ftl` ; un message absent de ce fichier s’affiche en anglais.
#
# Variables : { $site } est le nom du site (`rp_name`), { $name } des mots saisis par l’utilisateur.

## La langue elle-même, telle que ses locuteurs l’écrivent (le menu des langues l’affiche).
language-name = Français

## Tous les écrans
layout-language = Langue
layout-noscript = Les clés d’accès nécessitent JavaScript. Veuillez l’activer pour ce site.
optional = (facultatif)

## Écran de connexion
sign-in-title = Connexion
sign-in-heading = Se connecter à { $site }
sign-in-username = Nom d’utilisateur
sign-in-username-hint = Vous pouvez laisser ce champ vide et choisir votre clé d’accès.
sign-in-submit = Se connecter avec une clé d’accès
sign-in-lost = Vous avez perdu tous les appareils contenant votre clé d’accès ?
sign-in-recover = Utiliser un code de récupération
sign-in-new = Première visite ?
sign-in-sign-up = Créer un compte

## Écran d’inscription
sign-up-title = Créez votre compte
sign-up-lead = Votre compte sur { $site } utilise une clé d’accès au lieu d’un mot de passe.
sign-up-username = Nom d’utilisateur
sign-up-display-name = Nom affiché
sign-up-display-name-hint = Le nom sous lequel vous souhaitez apparaître.
sign-up-submit = Créer un compte avec une clé d’accès
sign-up-about-title = Qu’est-ce qu’une clé d’accès ?
sign-up-about =
    Une clé d’accès vous permet de vous connecter sans mot de passe. Vous la
    déverrouillez comme votre appareil : avec son verrouillage d’écran, votre empreinte
    digitale ou votre visage. Votre gestionnaire de mots de passe la synchronise entre
    vos appareils, et elle ne fonctionne que sur ce site, si bien que personne ne peut
    vous la soutirer par la ruse.
sign-up-have-account = Vous avez déjà un compte ?
sign-up-sign-in = Se connecter

## La question « Créer une clé d’accès ? »
enroll-title = Créer une clé d’accès ?
enroll-heading = Connectez-vous plus rapidement avec une clé d’accès
enroll-lead = Vous pouvez vous connecter à { $site } sans saisir votre mot de passe.
enroll-here-heading = Créer une clé d’accès sur cet appareil ?
enroll-here-lead =
    Vous avez utilisé une clé d’accès d’un autre appareil pour vous connecter. Si vous
    créez aussi une clé d’accès sur cet appareil, vous pourrez vous connecter ici à
    { $site } sans l’autre appareil.
enroll-about-title = Qu’est-ce qu’une clé d’accès ?
enroll-about =
    Une clé d’accès se déverrouille comme votre appareil : avec son verrouillage d’écran,
    votre empreinte digitale ou votre visage. Votre gestionnaire de mots de passe la
    synchronise entre vos appareils. Elle ne fonctionne que sur ce site, si bien que
    personne ne peut vous la soutirer par la ruse, et elle suffit à elle seule pour une
    connexion en deux étapes.
enroll-create = Créer une clé d’accès
enroll-skip = Pas maintenant
enroll-never = Ne plus demander
enroll-later = Vous pourrez créer une clé d’accès plus tard depuis les paramètres de votre compte.

## Écran de récupération
recover-title = Récupérer votre compte
recover-lead =
    Vous avez perdu tous les appareils contenant votre clé d’accès ? Connectez-vous avec
    l’un des codes de récupération enregistrés lors de la création de votre compte.
    Chaque code ne fonctionne qu’une seule fois.
recover-username = Nom d’utilisateur
recover-code = Code de récupération
# { $example } est un code inventé, affiché tel quel.
recover-code-hint = Par exemple { $example }. Les tirets, majuscules et minuscules n’ont pas d’importance.
recover-submit = Se connecter avec un code de récupération
recover-after =
    Se connecter avec un code vous déconnecte partout ailleurs. Créez ensuite une
    nouvelle clé d’accès sur cet appareil.
recover-back = Retour à la connexion

## Codes de récupération, affichés une seule fois
codes-title = Enregistrez vos codes de récupération
codes-lead =
    Si vous perdez tous les appareils contenant votre clé d’accès, chacun de ces codes
    vous permet de vous connecter une fois afin de créer une nouvelle clé d’accès.
    Conservez-les en lieu sûr, par exemple dans votre gestionnaire de mots de passe ou
    sur papier. Ils ne s’affichent qu’une seule fois.
codes-saved = J’ai enregistré ces codes

## Écran de gestion des clés d’accès
manage-title = Vos clés d’accès
# { $name } est le nom affiché ; { $username } le suit s’il est différent.
manage-signed-in-as = Connecté en tant que { $name }
manage-signed-in-as-username = Connecté en tant que { $name } ({ $username })
manage-recovered =
    Vous avez utilisé un code de récupération pour vous connecter et toutes les autres
    sessions ont été fermées. Créez dès maintenant une nouvelle clé d’accès sur cet
    appareil, puis supprimez les clés d’accès que vous avez perdues.
manage-passkeys = Clés d’accès
manage-name = Nom
manage-synced = Synchronisée entre vos appareils
manage-device-only = Sur cet appareil uniquement
manage-provider-unknown = Clé d’accès
manage-created = Créée le { $date }
manage-last-used = Dernière utilisation le { $date }
manage-never-used = Jamais utilisée
manage-rename = Renommer
manage-delete = Supprimer
manage-none = Vous n’avez encore aucune clé d’accès.
manage-add = Ajouter une clé d’accès
manage-factor-required =
    Pour ajouter, renommer ou supprimer des clés d’accès, terminez d’abord votre
    connexion (votre compte comporte une autre étape, comme un code fourni par une
    application d’authentification).
manage-delete-note =
    Supprimer une clé d’accès ici ne la retire ni de votre appareil ni de votre
    gestionnaire de mots de passe ; les navigateurs compatibles sont invités à l’oublier.
manage-recovery-title = Codes de récupération
# { $left } codes sur { $total } sont encore inutilisés.
manage-recovery-left =
    { $left ->
        [one] { $left } code sur { $total } encore inutilisé. Chaque code vous permet de vous connecter une fois si vous perdez toutes vos clés d’accès.
       *[other] { $left } codes sur { $total } encore inutilisés. Chaque code vous permet de vous connecter une fois si vous perdez toutes vos clés d’accès.
    }
manage-recovery-new = Générer de nouveaux codes
manage-recovery-note = Les nouveaux codes remplacent les anciens, qui cessent de fonctionner.

## Sessions, sur l’écran de gestion
sessions-title = Vos sessions actives
sessions-unknown-device = Un appareil sans activité depuis sa connexion
session-device = { $browser } sur { $os }
session-device-os = Un navigateur sur { $os }
session-device-unknown = Appareil inconnu
sessions-this-device = Cet appareil
# { $method } est l’une des expressions session-method-* ci-dessous ; { $date } le moment de la connexion.
sessions-signed-in-with = Connexion avec { $method } · { $date }
sessions-last-seen = Dernière activité le { $date }
sessions-sign-out = Se déconnecter
sessions-sign-out-device = Déconnecter cet appareil
sessions-limited = Pour voir et fermer vos autres sessions, terminez d’abord votre connexion.
sessions-sign-out-others = Se déconnecter partout ailleurs
session-method-passkey-named = la clé d’accès « { $name } »
session-method-passkey = une clé d’accès
session-method-password = un mot de passe
session-method-one-time-code = un code à usage unique
session-method-email-link = un lien envoyé par e-mail
session-method-external = un autre compte
session-method-recovery-code = un code de récupération
session-method-other = une autre méthode
# Deux méthodes ou plus, par exemple « un mot de passe et un code à usage unique ».
session-method-and = { $first } et { $second }

## Avis après l’échec d’un formulaire sur l’écran de gestion
notice-reauth =
    Pour déconnecter d’autres appareils, reconnectez-vous d’abord : votre connexion
    date de plus de quelques minutes.
notice-session-gone = Cette session est déjà fermée.
notice-factor = Terminez d’abord votre connexion (votre compte comporte une autre étape).

## Dates et heures. { $day }, { $hour } et { $minute } sont des nombres ; { $month } va de 1 à 12.
date-time =
    { $day ->
        [1] 1er
       *[other] { $day }
    } { $month ->
        [1] janvier
        [2] février
        [3] mars
        [4] avril
        [5] mai
        [6] juin
        [7] juillet
        [8] août
        [9] septembre
        [10] octobre
        [11] novembre
       *[12] décembre
    } { $year } à { $hour }:{ $minute } UTC

## Messages du script du navigateur
script-generic = Une erreur s’est produite. Veuillez réessayer.
script-network = Impossible de joindre le serveur. Vérifiez votre connexion et réessayez.
script-rate-limited = Trop de tentatives. Veuillez patienter un instant, puis réessayer.
script-cancelled = Aucune clé d’accès n’a été utilisée. Si cet appareil n’en a aucune pour ce site, essayez un autre appareil ou connectez-vous autrement.
script-already-registered = Cet appareil possède déjà une clé d’accès pour ce compte.
script-security = Les clés d’accès ne peuvent pas être utilisées à cette adresse. Veuillez vérifier l’adresse du site.
script-constraint = Cet appareil ne remplit pas toutes les conditions requises pour la clé d’accès, comme un verrouillage d’écran.
script-not-supported = Cet appareil ou ce navigateur ne peut pas créer le type de clé d’accès requis par ce site.
script-insecure-context = Les clés d’accès nécessitent une connexion sécurisée (HTTPS).
script-unsupported = Ce navigateur ne prend pas en charge les clés d’accès. Veuillez essayer un autre navigateur ou mettre celui-ci à jour.
script-confirm-codes = Générer de nouveaux codes de récupération ? Vos codes actuels cesseront de fonctionner.
# { $name } est le nom de la clé d’accès.
script-confirm-delete = Supprimer la clé d’accès « { $name } » ? Vous ne pourrez plus l’utiliser pour vous connecter.
script-codes-alert = Enregistrez vos codes de récupération, affichés une seule fois :

## Messages d’erreur de l’API JSON, par code d’erreur stable
error-invalid-request = La requête n’est pas valide.
error-payload-too-large = La requête est trop volumineuse.
error-unsupported-media-type = Envoyez la requête au format JSON.
error-request-timeout = La requête a mis trop de temps à arriver. Veuillez réessayer.
error-ceremony-not-found = Aucune demande de clé d’accès n’est en attente pour ce navigateur, ou elle a expiré. Veuillez réessayer.
error-registration-failed = La clé d’accès n’a pas pu être créée. Veuillez réessayer.
error-credential-exists = Cette clé d’accès est déjà enregistrée.
error-username-taken = Ce nom d’utilisateur est déjà pris. Veuillez en choisir un autre.
error-authentication-failed = La connexion avec cette clé d’accès a échoué. Réessayez ou utilisez une autre clé d’accès.
error-unauthorized = Veuillez d’abord vous connecter.
error-reauth-required = Veuillez confirmer votre identité : reconnectez-vous, puis réessayez.
error-factor-required = Terminez d’abord votre connexion (la deuxième étape de ce compte, ou une clé d’accès), puis ajoutez la clé d’accès.
error-forbidden = Cette action n’est pas autorisée ici.
error-not-found = Il n’y a rien ici.
error-conflict = Cette action est en conflit avec l’état actuel de votre compte. Veuillez recharger la page et réessayer.
error-last-passkey = C’est votre seule clé d’accès et votre seul moyen de vous connecter. Ajoutez une autre clé d’accès avant de supprimer celle-ci.
# { $max } est le nombre maximal de clés d’accès par compte.
error-too-many-passkeys =
    { $max ->
        [one] Ce compte a déjà { $max } clé d’accès, le maximum autorisé. Supprimez-la pour en ajouter une autre.
       *[other] Ce compte a déjà { $max } clés d’accès, le maximum autorisé. Supprimez-en une pour en ajouter une autre.
    }
error-recovery-failed = Ce nom d’utilisateur et ce code de récupération ne correspondent à aucun code inutilisé.
error-rate-limited = Trop de tentatives. Veuillez patienter un instant, puis réessayer.
error-unavailable = Le service est momentanément indisponible. Veuillez réessayer dans un instant.
error-internal = Une erreur s’est produite de notre côté.
## Erreurs plus précises
error-other-site = Cette requête provient d’un autre site.
error-sign-up-closed = Les inscriptions sont fermées sur ce site.
error-signed-in = Vous avez déjà une session ouverte : déconnectez-vous avant de créer un autre compte.
error-username-missing = Choisissez un nom d’utilisateur.
# { $field } vaut `username`, `display_name` ou `name` (le nom d’une clé d’accès).
error-name-too-long =
    { $field ->
        [username] Le nom d’utilisateur
        [display_name] Le nom affiché
       *[name] Le nom
    } ne doit pas dépasser { $max } caractères.
error-name-invisible =
    { $field ->
        [username] Le nom d’utilisateur
        [display_name] Le nom affiché
       *[name] Le nom
    } ne doit pas contenir de caractères de contrôle ni de caractères de mise en forme invisibles.
error-passkey-not-found = Vous n’avez aucune clé d’accès avec cet identifiant.
error-passkey-name-missing = Donnez à la clé d’accès un nom de 1 à 64 caractères.
error-session-not-found = Vous n’avez aucune session avec cet identifiant.
error-never-not-offered = L’option « Ne plus demander » n’est pas proposée sur ce site.
error-recovery-not-offered = Les codes de récupération ne sont pas proposés pour ce compte.
error-recovery-too-long = Un nom d’utilisateur ou un code de récupération est trop long.
