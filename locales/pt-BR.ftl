# rocket_passkeys: every sentence the crate shows a person, in Brazilian Portuguese.
#
# Same message ids as en.ftl; a message missing here falls back to English.
#
# Variables: { $site } is the site's name (`rp_name`), { $name } a user's own words.

## The locale itself, as its speakers write it (the language menu shows it).
language-name = Português (Brasil)

## Every screen
layout-language = Idioma
layout-noscript = As chaves de acesso precisam de JavaScript. Ative-o para este site.
optional = (opcional)

## Sign-in screen
sign-in-title = Entrar
sign-in-heading = Entrar em { $site }
sign-in-username = Nome de usuário
sign-in-username-hint = Você pode deixar em branco e escolher sua chave de acesso.
sign-in-submit = Entrar com uma chave de acesso
sign-in-lost = Perdeu todos os dispositivos que tinham sua chave de acesso?
sign-in-recover = Usar um código de recuperação
sign-in-new = Primeira vez aqui?
sign-in-sign-up = Criar uma conta

## Sign-up screen
sign-up-title = Crie sua conta
sign-up-lead = Sua conta em { $site } usa uma chave de acesso em vez de senha.
sign-up-username = Nome de usuário
sign-up-display-name = Nome de exibição
sign-up-display-name-hint = Como você quer que seu nome apareça.
sign-up-submit = Criar conta com uma chave de acesso
sign-up-about-title = O que é uma chave de acesso?
sign-up-about =
    Uma chave de acesso permite que você entre sem senha. Você a desbloqueia do mesmo
    jeito que desbloqueia seu dispositivo: com o bloqueio de tela, sua impressão
    digital ou seu rosto. Seu gerenciador de senhas a mantém sincronizada entre seus
    dispositivos, e ela só funciona neste site, então ninguém consegue enganar você
    para que a entregue.
sign-up-have-account = Já tem uma conta?
sign-up-sign-in = Entrar

## The "create a passkey?" prompt
enroll-title = Criar uma chave de acesso?
enroll-heading = Entre mais rápido com uma chave de acesso
enroll-lead = Você pode entrar em { $site } sem digitar sua senha.
enroll-here-heading = Criar uma chave de acesso neste dispositivo?
enroll-here-lead =
    Você entrou com uma chave de acesso de outro dispositivo. Com uma neste dispositivo
    também, você poderá entrar em { $site } aqui sem precisar do outro.
enroll-about-title = O que é uma chave de acesso?
enroll-about =
    Uma chave de acesso é desbloqueada do mesmo jeito que seu dispositivo: com o
    bloqueio de tela, sua impressão digital ou seu rosto. Seu gerenciador de senhas a
    mantém sincronizada entre seus dispositivos. Ela só funciona neste site, então
    ninguém consegue enganar você para que a entregue, e vale pelas duas etapas da
    verificação em duas etapas.
enroll-create = Criar uma chave de acesso
enroll-skip = Agora não
enroll-never = Não perguntar novamente
enroll-later = Você pode criar uma chave de acesso depois nas configurações da sua conta.

## Recovery screen
recover-title = Recupere sua conta
recover-lead =
    Perdeu todos os dispositivos que tinham sua chave de acesso? Entre com um dos
    códigos de recuperação que você salvou ao criar sua conta. Cada código funciona
    uma única vez.
recover-username = Nome de usuário
recover-code = Código de recuperação
# { $example } is a made-up code, shown as is.
recover-code-hint = Por exemplo: { $example }. Hifens e maiúsculas ou minúsculas não fazem diferença.
recover-submit = Entrar com um código de recuperação
recover-after =
    Ao entrar com um código, todas as suas outras sessões são encerradas. Depois, crie
    uma nova chave de acesso neste dispositivo.
recover-back = Voltar para a tela de entrada

## Recovery codes, shown once
codes-title = Salve seus códigos de recuperação
codes-lead =
    Se você perder todos os dispositivos que têm sua chave de acesso, cada um destes
    códigos permite entrar uma vez, para que você possa criar uma nova chave de acesso.
    Guarde-os em um lugar seguro, como seu gerenciador de senhas ou uma cópia impressa.
    Eles só aparecem agora.
codes-saved = Já salvei estes códigos

## Passkey management screen
manage-title = Suas chaves de acesso
# { $name } is the display name; { $username } follows it when it differs.
manage-signed-in-as = Você entrou como { $name }
manage-signed-in-as-username = Você entrou como { $name } ({ $username })
manage-recovered =
    Você entrou com um código de recuperação e todas as outras sessões foram
    encerradas. Crie agora uma nova chave de acesso neste dispositivo e exclua as
    chaves de acesso que você perdeu.
manage-passkeys = Chaves de acesso
manage-name = Nome
manage-synced = Sincronizada entre seus dispositivos
manage-device-only = Somente neste dispositivo
manage-provider-unknown = Chave de acesso
manage-created = Criada em { $date }
manage-last-used = Último uso em { $date }
manage-never-used = Nunca usada
manage-rename = Renomear
manage-delete = Excluir
manage-none = Você ainda não tem chaves de acesso.
manage-add = Adicionar uma chave de acesso
manage-factor-required =
    Para adicionar, renomear ou excluir chaves de acesso, termine de entrar primeiro
    (sua conta tem outra etapa, como um código de um app autenticador).
manage-delete-note =
    Excluir uma chave de acesso aqui não a remove do seu dispositivo nem do seu
    gerenciador de senhas; os navegadores compatíveis são instruídos a esquecê-la.
manage-recovery-title = Códigos de recuperação
# { $left } of { $total } codes are still unused.
# In pt-BR, CLDR "one" covers both 0 and 1, so both variants are worded to fit any number.
manage-recovery-left =
    { $left ->
        [one] Códigos não usados: { $left } de { $total }. Cada um permite entrar uma vez se você perder todas as suas chaves de acesso.
       *[other] Códigos não usados: { $left } de { $total }. Cada um permite entrar uma vez se você perder todas as suas chaves de acesso.
    }
manage-recovery-new = Gerar novos códigos
manage-recovery-note = Os novos códigos substituem os antigos, que deixam de funcionar.

## Sessions, on the management screen
sessions-title = Onde sua conta está conectada
sessions-unknown-device = Um dispositivo sem atividade desde que entrou
session-device = { $browser } em { $os }
session-device-os = Um navegador em { $os }
session-device-unknown = Dispositivo desconhecido
sessions-this-device = Este dispositivo
# { $method } is one of the session-method-* phrases below; { $date } when it signed in.
sessions-signed-in-with = Entrou com { $method } · { $date }
sessions-last-seen = Última atividade em { $date }
sessions-sign-out = Sair
sessions-sign-out-device = Sair deste dispositivo
sessions-limited = Para ver e encerrar suas outras sessões, termine de entrar primeiro.
sessions-sign-out-others = Sair de todos os outros dispositivos
session-method-passkey-named = a chave de acesso “{ $name }”
session-method-passkey = uma chave de acesso
session-method-password = uma senha
session-method-one-time-code = um código de uso único
session-method-email-link = um link enviado por e-mail
session-method-external = outra conta
session-method-recovery-code = um código de recuperação
session-method-other = outro método
# Two or more methods, as in "a password and a one-time code".
session-method-and = { $first } e { $second }

## Notices after a form on the management screen failed
notice-reauth =
    Para sair de outros dispositivos, entre novamente primeiro: você entrou há mais de
    alguns minutos.
notice-session-gone = Essa sessão já foi encerrada.
notice-factor = Termine de entrar primeiro (sua conta tem outra etapa).

## Dates and times. { $day }, { $hour } and { $minute } are numbers; { $month } is 1 to 12.
date-time =
    { $day } de { $month ->
        [1] janeiro
        [2] fevereiro
        [3] março
        [4] abril
        [5] maio
        [6] junho
        [7] julho
        [8] agosto
        [9] setembro
        [10] outubro
        [11] novembro
       *[12] dezembro
    } de { $year }, { $hour }:{ $minute } UTC

## The browser script's messages
script-generic = Algo deu errado. Tente novamente.
script-network = Não foi possível conectar ao servidor. Verifique sua conexão e tente novamente.
script-rate-limited = Muitas tentativas. Aguarde um momento e tente novamente.
script-cancelled = Nenhuma chave de acesso foi usada. Se este dispositivo não tiver uma para este site, tente outro dispositivo ou entre de outra forma.
script-already-registered = Este dispositivo já tem uma chave de acesso para esta conta.
script-security = Não é possível usar chaves de acesso neste endereço. Verifique o endereço do site.
script-constraint = Este dispositivo não atende aos requisitos da chave de acesso, como um bloqueio de tela.
script-not-supported = Este dispositivo ou navegador não consegue criar o tipo de chave de acesso que este site exige.
script-insecure-context = As chaves de acesso precisam de uma conexão segura (HTTPS).
script-unsupported = Este navegador não é compatível com chaves de acesso. Tente outro navegador ou atualize este.
script-confirm-codes = Gerar novos códigos de recuperação? Os que você tem agora deixarão de funcionar.
# { $name } is the passkey's name.
script-confirm-delete = Excluir a chave de acesso “{ $name }”? Você não poderá mais entrar com ela.
script-codes-alert = Salve seus códigos de recuperação (eles só aparecem agora):

## Error messages of the JSON API, by their stable error code
error-invalid-request = A solicitação não é válida.
error-payload-too-large = A solicitação é grande demais.
error-unsupported-media-type = Envie a solicitação em formato JSON.
error-request-timeout = A solicitação demorou demais para chegar. Tente novamente.
error-ceremony-not-found = Não há nenhuma solicitação de chave de acesso pendente para este navegador, ou ela expirou. Tente novamente.
error-registration-failed = Não foi possível criar a chave de acesso. Tente novamente.
error-credential-exists = Esta chave de acesso já está registrada.
error-username-taken = Este nome de usuário já está em uso. Escolha outro.
error-authentication-failed = Não foi possível entrar com esta chave de acesso. Tente novamente ou use outra chave de acesso.
error-unauthorized = Entre primeiro.
error-reauth-required = Confirme que é você: entre novamente e tente outra vez.
error-factor-required = Termine de entrar primeiro (a segunda etapa desta conta ou uma chave de acesso) e depois adicione a chave de acesso.
error-forbidden = Esta ação não é permitida aqui.
error-not-found = Não há nada aqui.
error-conflict = Isso entra em conflito com o estado atual da sua conta. Recarregue a página e tente novamente.
error-last-passkey = Esta é sua única chave de acesso e sua única forma de entrar. Adicione outra chave de acesso antes de excluir esta.
# { $max } is the most passkeys an account may have.
error-too-many-passkeys =
    { $max ->
        [one] Esta conta tem { $max } chave de acesso, o máximo permitido. Exclua-a para adicionar outra.
       *[other] Esta conta tem { $max } chaves de acesso, o máximo permitido. Exclua uma para adicionar outra.
    }
error-recovery-failed = Esse nome de usuário e esse código de recuperação não correspondem a nenhum código não usado.
error-rate-limited = Muitas tentativas. Aguarde um momento e tente novamente.
error-unavailable = O serviço está temporariamente indisponível. Tente novamente em instantes.
error-internal = Algo deu errado do nosso lado.
## More precise errors
error-other-site = Esta solicitação veio de outro site.
error-sign-up-closed = O cadastro está fechado neste site.
error-signed-in = Você já entrou: saia antes de criar outra conta.
error-username-missing = Escolha um nome de usuário.
# { $field } is `username`, `display_name` or `name` (a passkey's name).
error-name-too-long =
    { $field ->
        [username] O nome de usuário
        [display_name] O nome de exibição
       *[name] O nome
    } deve ter no máximo { $max } caracteres.
error-name-invisible =
    { $field ->
        [username] O nome de usuário
        [display_name] O nome de exibição
       *[name] O nome
    } não pode conter caracteres de controle nem de formatação invisíveis.
error-passkey-not-found = Você não tem nenhuma chave de acesso com este ID.
error-passkey-name-missing = Dê à chave de acesso um nome de 1 a 64 caracteres.
error-session-not-found = Você não tem nenhuma sessão com este ID.
error-never-not-offered = A opção “Não perguntar novamente” não está disponível neste site.
error-recovery-not-offered = Códigos de recuperação não estão disponíveis para esta conta.
error-recovery-too-long = O nome de usuário ou o código de recuperação é longo demais.
