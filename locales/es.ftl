# rocket_passkeys: every sentence the crate shows a person, in Spanish.
#
# Same message ids as en.ftl; a message missing here falls back to English.
#
# Variables: { $site } is the site's name (`rp_name`), { $name } a user's own words.

## The locale itself, as its speakers write it (the language menu shows it).
language-name = Español

## Every screen
layout-language = Idioma
layout-noscript = Las llaves de acceso necesitan JavaScript. Actívalo para este sitio.
optional = (opcional)

## Sign-in screen
sign-in-title = Iniciar sesión
sign-in-heading = Inicia sesión en { $site }
sign-in-username = Nombre de usuario
sign-in-username-hint = Puedes dejarlo en blanco y elegir tu llave de acceso.
sign-in-submit = Iniciar sesión con una llave de acceso
sign-in-lost = ¿Perdiste todos los dispositivos que tenían tu llave de acceso?
sign-in-recover = Usar un código de recuperación
sign-in-new = ¿Primera vez aquí?
sign-in-sign-up = Crear una cuenta

## Sign-up screen
sign-up-title = Crea tu cuenta
sign-up-lead = Tu cuenta en { $site } usa una llave de acceso en lugar de una contraseña.
sign-up-username = Nombre de usuario
sign-up-display-name = Nombre para mostrar
sign-up-display-name-hint = Cómo quieres que se muestre tu nombre.
sign-up-submit = Crear cuenta con una llave de acceso
sign-up-about-title = ¿Qué es una llave de acceso?
sign-up-about =
    Una llave de acceso te permite iniciar sesión sin contraseña. La desbloqueas igual
    que desbloqueas tu dispositivo: con el bloqueo de pantalla, tu huella digital o tu
    rostro. Tu gestor de contraseñas la mantiene sincronizada en todos tus
    dispositivos. Además, solo funciona en este sitio, así que nadie puede engañarte
    para que la entregues.
sign-up-have-account = ¿Ya tienes una cuenta?
sign-up-sign-in = Iniciar sesión

## The "create a passkey?" prompt
enroll-title = ¿Crear una llave de acceso?
enroll-heading = Inicia sesión más rápido con una llave de acceso
enroll-lead = Puedes iniciar sesión en { $site } sin escribir tu contraseña.
enroll-here-heading = ¿Crear una llave de acceso en este dispositivo?
enroll-here-lead =
    Iniciaste sesión con una llave de acceso de otro dispositivo. Si también tienes una
    en este, podrás iniciar sesión en { $site } desde aquí sin el otro.
enroll-about-title = ¿Qué es una llave de acceso?
enroll-about =
    Una llave de acceso se desbloquea igual que tu dispositivo: con el bloqueo de
    pantalla, tu huella digital o tu rostro. Tu gestor de contraseñas la mantiene
    sincronizada en todos tus dispositivos. Solo funciona en este sitio, así que nadie
    puede engañarte para que la entregues, y cuenta como los dos pasos de la
    verificación en dos pasos.
enroll-create = Crear una llave de acceso
enroll-skip = Ahora no
enroll-never = No volver a preguntar
enroll-later = Puedes crear una llave de acceso más tarde desde la configuración de tu cuenta.

## Recovery screen
recover-title = Recupera tu cuenta
recover-lead =
    ¿Perdiste todos los dispositivos que tenían tu llave de acceso? Inicia sesión con
    uno de los códigos de recuperación que guardaste al crear tu cuenta. Cada código
    funciona una sola vez.
recover-username = Nombre de usuario
recover-code = Código de recuperación
# { $example } is a made-up code, shown as is.
recover-code-hint = Por ejemplo: { $example }. No importan los guiones ni las mayúsculas.
recover-submit = Iniciar sesión con un código de recuperación
recover-after =
    Al iniciar sesión con un código, se cierran todas tus demás sesiones. Después, crea
    una nueva llave de acceso en este dispositivo.
recover-back = Volver al inicio de sesión

## Recovery codes, shown once
codes-title = Guarda tus códigos de recuperación
codes-lead =
    Si pierdes todos los dispositivos que tienen tu llave de acceso, cada uno de estos
    códigos te permite iniciar sesión una vez para que puedas crear una nueva llave de
    acceso. Guárdalos en un lugar seguro, como tu gestor de contraseñas o una copia
    impresa. Solo se muestran ahora.
codes-saved = Ya guardé estos códigos

## Passkey management screen
manage-title = Tus llaves de acceso
# { $name } is the display name; { $username } follows it when it differs.
manage-signed-in-as = Sesión iniciada como { $name }
manage-signed-in-as-username = Sesión iniciada como { $name } ({ $username })
manage-recovered =
    Iniciaste sesión con un código de recuperación y se cerraron todas las demás
    sesiones. Crea ahora una nueva llave de acceso en este dispositivo y elimina las
    llaves de acceso que perdiste.
manage-passkeys = Llaves de acceso
manage-name = Nombre
manage-synced = Sincronizada en todos tus dispositivos
manage-device-only = Solo en este dispositivo
manage-provider-unknown = Llave de acceso
manage-created = Creada el { $date }
manage-last-used = Último uso: { $date }
manage-never-used = Nunca usada
manage-rename = Cambiar nombre
manage-delete = Eliminar
manage-none = Aún no tienes llaves de acceso.
manage-add = Añadir una llave de acceso
manage-factor-required =
    Para añadir, cambiar el nombre o eliminar llaves de acceso, primero termina de
    iniciar sesión (tu cuenta tiene otro paso, como un código de una app de
    autenticación).
manage-delete-note =
    Eliminar una llave de acceso aquí no la quita de tu dispositivo ni de tu gestor de
    contraseñas; a los navegadores compatibles se les pide que la olviden.
manage-recovery-title = Códigos de recuperación
# { $left } of { $total } codes are still unused.
manage-recovery-left =
    { $left ->
        [one] Te queda { $left } código sin usar de { $total }. Te permite iniciar sesión una vez si pierdes todas tus llaves de acceso.
       *[other] Te quedan { $left } códigos sin usar de { $total }. Cada uno te permite iniciar sesión una vez si pierdes todas tus llaves de acceso.
    }
manage-recovery-new = Generar códigos nuevos
manage-recovery-note = Los códigos nuevos reemplazan a los anteriores, que dejarán de funcionar.

## Sessions, on the management screen
sessions-title = Dónde tienes la sesión iniciada
sessions-unknown-device = Un dispositivo sin actividad desde que inició sesión
session-device = { $browser } en { $os }
session-device-os = Un navegador en { $os }
session-device-unknown = Dispositivo desconocido
sessions-this-device = Este dispositivo
# { $method } is one of the session-method-* phrases below; { $date } when it signed in.
sessions-signed-in-with = Sesión iniciada con { $method } · { $date }
sessions-last-seen = Última actividad: { $date }
sessions-sign-out = Cerrar sesión
sessions-sign-out-device = Cerrar sesión en este dispositivo
sessions-limited = Para ver y cerrar tus otras sesiones, primero termina de iniciar sesión.
sessions-sign-out-others = Cerrar sesión en todos los demás dispositivos
session-method-passkey-named = la llave de acceso «{ $name }»
session-method-passkey = una llave de acceso
session-method-password = una contraseña
session-method-one-time-code = un código de un solo uso
session-method-email-link = un enlace por correo electrónico
session-method-external = otra cuenta
session-method-recovery-code = un código de recuperación
session-method-other = otro método
# Two or more methods, as in "a password and a one-time code".
session-method-and = { $first } y { $second }

## Notices after a form on the management screen failed
notice-reauth =
    Para cerrar sesión en otros dispositivos, primero vuelve a iniciar sesión: tu
    sesión se inició hace más de unos minutos.
notice-session-gone = Esa sesión ya se cerró.
notice-factor = Primero termina de iniciar sesión (tu cuenta tiene otro paso).

## Dates and times. { $day }, { $hour } and { $minute } are numbers; { $month } is 1 to 12.
date-time =
    { $day } de { $month ->
        [1] enero
        [2] febrero
        [3] marzo
        [4] abril
        [5] mayo
        [6] junio
        [7] julio
        [8] agosto
        [9] septiembre
        [10] octubre
        [11] noviembre
       *[12] diciembre
    } de { $year }, { $hour }:{ $minute } UTC

## The browser script's messages
script-generic = Algo salió mal. Inténtalo de nuevo.
script-network = No se pudo conectar con el servidor. Comprueba tu conexión e inténtalo de nuevo.
script-rate-limited = Demasiados intentos. Espera un momento e inténtalo de nuevo.
script-cancelled = No se usó ninguna llave de acceso. Si este dispositivo no tiene ninguna para este sitio, prueba con otro dispositivo o inicia sesión de otra forma.
script-already-registered = Este dispositivo ya tiene una llave de acceso para esta cuenta.
script-security = No se pueden usar llaves de acceso en esta dirección. Comprueba la dirección del sitio.
script-constraint = Este dispositivo no cumple los requisitos de la llave de acceso, por ejemplo, un bloqueo de pantalla.
script-not-supported = Este dispositivo o navegador no puede crear el tipo de llave de acceso que necesita este sitio.
script-insecure-context = Las llaves de acceso necesitan una conexión segura (HTTPS).
script-unsupported = Este navegador no admite llaves de acceso. Prueba con otro navegador o actualiza este.
script-confirm-codes = ¿Generar códigos de recuperación nuevos? Los que tienes ahora dejarán de funcionar.
# { $name } is the passkey's name.
script-confirm-delete = ¿Eliminar la llave de acceso «{ $name }»? Ya no podrás iniciar sesión con ella.
script-codes-alert = Guarda tus códigos de recuperación (solo se muestran ahora):

## Error messages of the JSON API, by their stable error code
error-invalid-request = La solicitud no es válida.
error-payload-too-large = La solicitud es demasiado grande.
error-unsupported-media-type = Envía la solicitud en formato JSON.
error-request-timeout = La solicitud tardó demasiado en llegar. Inténtalo de nuevo.
error-ceremony-not-found = No hay ninguna solicitud de llave de acceso pendiente para este navegador, o ya caducó. Inténtalo de nuevo.
error-registration-failed = No se pudo crear la llave de acceso. Inténtalo de nuevo.
error-credential-exists = Esta llave de acceso ya está registrada.
error-username-taken = Este nombre de usuario ya está en uso. Elige otro.
error-authentication-failed = No se pudo iniciar sesión con esta llave de acceso. Inténtalo de nuevo o usa otra llave de acceso.
error-unauthorized = Primero inicia sesión.
error-reauth-required = Confirma que eres tú: vuelve a iniciar sesión y luego inténtalo de nuevo.
error-factor-required = Primero termina de iniciar sesión (el segundo paso de esta cuenta o una llave de acceso) y luego añade la llave de acceso.
error-forbidden = Esta acción no está permitida aquí.
error-not-found = Aquí no hay nada.
error-conflict = Esto entra en conflicto con el estado actual de tu cuenta. Vuelve a cargar la página e inténtalo de nuevo.
error-last-passkey = Esta es tu única llave de acceso y tu única forma de iniciar sesión. Añade otra llave de acceso antes de eliminar esta.
# { $max } is the most passkeys an account may have.
error-too-many-passkeys =
    { $max ->
        [one] Esta cuenta tiene { $max } llave de acceso, el máximo permitido. Elimínala para añadir otra.
       *[other] Esta cuenta tiene { $max } llaves de acceso, el máximo permitido. Elimina una para añadir otra.
    }
error-recovery-failed = Ese nombre de usuario y ese código de recuperación no coinciden con ningún código sin usar.
error-rate-limited = Demasiados intentos. Espera un momento e inténtalo de nuevo.
error-unavailable = El servicio no está disponible temporalmente. Inténtalo de nuevo en un momento.
error-internal = Algo salió mal por nuestra parte.
## More precise errors
error-other-site = Esta solicitud procede de otro sitio.
error-sign-up-closed = El registro está cerrado en este sitio.
error-signed-in = Ya tienes la sesión iniciada: cierra sesión antes de crear otra cuenta.
error-username-missing = Elige un nombre de usuario.
# { $field } is `username`, `display_name` or `name` (a passkey's name).
error-name-too-long =
    { $field ->
        [username] El nombre de usuario
        [display_name] El nombre para mostrar
       *[name] El nombre
    } debe tener como máximo { $max } caracteres.
error-name-invisible =
    { $field ->
        [username] El nombre de usuario
        [display_name] El nombre para mostrar
       *[name] El nombre
    } no debe contener caracteres de control ni caracteres de formato invisibles.
error-passkey-not-found = No tienes ninguna llave de acceso con este ID.
error-passkey-name-missing = Ponle a la llave de acceso un nombre de 1 a 64 caracteres.
error-session-not-found = No tienes ninguna sesión con este ID.
error-never-not-offered = La opción «No volver a preguntar» no está disponible en este sitio.
error-recovery-not-offered = Los códigos de recuperación no están disponibles para esta cuenta.
error-recovery-too-long = El nombre de usuario o el código de recuperación es demasiado largo.
