# rocket_passkeys: every sentence the crate shows a person, in Japanese.
#
# Each shipped locale has a file like this one, with the same message ids. An app adds
# a locale or replaces single messages with its own `<locales_dir>/<tag>.ftl`; a message
# missing there falls back to English.
#
# Variables: { $site } is the site's name (`rp_name`), { $name } a user's own words.

## The locale itself, as its speakers write it (the language menu shows it).
language-name = 日本語

## Every screen
layout-language = 言語
layout-noscript = パスキーを使うにはJavaScriptが必要です。このサイトでJavaScriptを有効にしてください。
optional = （任意）

## Sign-in screen
sign-in-title = サインイン
sign-in-heading = { $site }にサインイン
sign-in-username = ユーザー名
sign-in-username-hint = 空欄のままにして、パスキーを選ぶこともできます。
sign-in-submit = パスキーでサインイン
sign-in-lost = パスキーのあるデバイスをすべて紛失しましたか？
sign-in-recover = リカバリーコードを使う
sign-in-new = はじめてご利用ですか？
sign-in-sign-up = アカウントを作成

## Sign-up screen
sign-up-title = アカウントの作成
sign-up-lead = { $site }のアカウントでは、パスワードの代わりにパスキーを使います。
sign-up-username = ユーザー名
sign-up-display-name = 表示名
sign-up-display-name-hint = 表示したいお名前を入力してください。
sign-up-submit = パスキーでアカウントを作成
sign-up-about-title = パスキーとは？
sign-up-about =
    パスキーを使うと、パスワードなしでサインインできます。パスキーのロックは、デバイスと同じ方法（画面ロック、指紋認証、顔認証）で解除します。パスキーはパスワードマネージャーによってデバイス間で同期されます。また、このサイトでしか使えないため、だまされて他人に渡してしまう心配もありません。
sign-up-have-account = すでにアカウントをお持ちですか？
sign-up-sign-in = サインイン

## The "create a passkey?" prompt
enroll-title = パスキーを作成しますか？
enroll-heading = パスキーですばやくサインイン
enroll-lead = パスワードを入力しなくても{ $site }にサインインできます。
enroll-here-heading = このデバイスでパスキーを作成しますか？
enroll-here-lead =
    別のデバイスのパスキーでサインインしました。このデバイスにもパスキーがあれば、次回からはこのデバイスだけで{ $site }にサインインできます。
enroll-about-title = パスキーとは？
enroll-about =
    パスキーのロックは、デバイスと同じ方法（画面ロック、指紋認証、顔認証）で解除します。パスキーはパスワードマネージャーによってデバイス間で同期されます。このサイトでしか使えないため、だまされて他人に渡してしまう心配はありません。2段階認証が必要な場合も、パスキー1つで両方のステップを満たせます。
enroll-create = パスキーを作成
enroll-skip = 後で
enroll-never = 今後表示しない
enroll-later = パスキーは後からアカウント設定で作成することもできます。

## Recovery screen
recover-title = アカウントの復旧
recover-lead =
    パスキーのあるデバイスをすべて紛失しましたか？アカウント作成時に保存したリカバリーコードのいずれかでサインインしてください。各コードは1回だけ使えます。
recover-username = ユーザー名
recover-code = リカバリーコード
# { $example } is a made-up code, shown as is.
recover-code-hint = 例：{ $example }。ハイフンの有無や大文字・小文字は区別されません。
recover-submit = リカバリーコードでサインイン
recover-after =
    コードでサインインすると、他のすべてのデバイスからサインアウトされます。その後、このデバイスで新しいパスキーを作成してください。
recover-back = サインインに戻る

## Recovery codes, shown once
codes-title = リカバリーコードを保存してください
codes-lead =
    パスキーのあるデバイスをすべて紛失しても、これらのコードを使えば（各コード1回限り）サインインして、新しいパスキーを作成できます。パスワードマネージャーや印刷した紙など、安全な場所に保管してください。コードが表示されるのは今回だけです。
codes-saved = コードを保存しました

## Passkey management screen
manage-title = パスキーの管理
# { $name } is the display name; { $username } follows it when it differs.
manage-signed-in-as = { $name }としてサインイン中
manage-signed-in-as-username = { $name }（{ $username }）としてサインイン中
manage-recovered =
    リカバリーコードでサインインしたため、他のセッションはすべて終了しました。今すぐこのデバイスで新しいパスキーを作成し、紛失したパスキーを削除してください。
manage-passkeys = パスキー
manage-name = 名前
manage-synced = デバイス間で同期
manage-device-only = このデバイスのみ
manage-provider-unknown = パスキー
manage-created = 作成：{ $date }
manage-last-used = 最終使用：{ $date }
manage-never-used = 未使用
manage-rename = 名前を変更
manage-delete = 削除
manage-none = パスキーはまだありません。
manage-add = パスキーを追加
manage-factor-required =
    パスキーの追加、名前の変更、削除を行うには、先にサインインを完了してください（お使いのアカウントでは、認証アプリのコードなど、もう1つの手順が必要です）。
manage-delete-note =
    ここでパスキーを削除しても、デバイスやパスワードマネージャーからは削除されません。対応しているブラウザーには、そのパスキーを削除するよう通知されます。
manage-recovery-title = リカバリーコード
# { $left } of { $total } codes are still unused.
manage-recovery-left = { $total }個中{ $left }個のコードが未使用です。パスキーをすべて失っても、各コードで1回ずつサインインできます。
manage-recovery-new = 新しいコードを発行
manage-recovery-note = 新しいコードを発行すると、古いコードは使えなくなります。

## Sessions, on the management screen
sessions-title = サインイン中のデバイス
sessions-unknown-device = サインイン後にアクセスのないデバイス
session-device = { $os }の{ $browser }
session-device-os = { $os }のブラウザー
session-device-unknown = 不明なデバイス
sessions-this-device = このデバイス
# { $method } is one of the session-method-* phrases below; { $date } when it signed in.
sessions-signed-in-with = { $method }でサインイン · { $date }
sessions-last-seen = 最終アクセス：{ $date }
sessions-sign-out = サインアウト
sessions-sign-out-device = このデバイスからサインアウト
sessions-limited = 他のセッションを確認・終了するには、先にサインインを完了してください。
sessions-sign-out-others = 他のすべてのデバイスからサインアウト
session-method-passkey-named = パスキー「{ $name }」
session-method-passkey = パスキー
session-method-password = パスワード
session-method-one-time-code = ワンタイムコード
session-method-email-link = メールのリンク
session-method-external = 別のアカウント
session-method-recovery-code = リカバリーコード
session-method-other = その他の方法
# Two or more methods, as in "a password and a one-time code".
session-method-and = { $first }と{ $second }

## Notices after a form on the management screen failed
notice-reauth =
    前回のサインインから時間が経っているため、他のデバイスをサインアウトするには、もう一度サインインしてください。
notice-session-gone = そのセッションはすでに終了しています。
notice-factor = 先にサインインを完了してください（お使いのアカウントでは、もう1つの手順が必要です）。

## Dates and times. { $day }, { $hour } and { $minute } are numbers; { $month } is 1 to 12.
date-time = { $year }年{ $month }月{ $day }日 { $hour }:{ $minute } UTC

## The browser script's messages
script-generic = 問題が発生しました。もう一度お試しください。
script-network = サーバーに接続できませんでした。ネットワーク接続を確認して、もう一度お試しください。
script-rate-limited = 試行回数が多すぎます。しばらく待ってから、もう一度お試しください。
script-cancelled = パスキーは使用されませんでした。このデバイスにこのサイトのパスキーがない場合は、別のデバイスを使うか、別の方法でサインインしてください。
script-already-registered = このデバイスには、このアカウントのパスキーがすでにあります。
script-security = このアドレスではパスキーを使用できません。サイトのアドレスを確認してください。
script-constraint = このデバイスは、パスキーの要件（画面ロックなど）を満たしていません。
script-not-supported = このデバイスまたはブラウザーでは、このサイトに必要な種類のパスキーを作成できません。
script-insecure-context = パスキーを使うには、安全な接続（HTTPS）が必要です。
script-unsupported = このブラウザーはパスキーに対応していません。別のブラウザーを使うか、このブラウザーを更新してください。
script-confirm-codes = 新しいリカバリーコードを発行しますか？現在のコードは使えなくなります。
# { $name } is the passkey's name.
script-confirm-delete = パスキー「{ $name }」を削除しますか？このパスキーではサインインできなくなります。
script-codes-alert = リカバリーコードを保存してください（表示されるのは今回だけです）：

## Error messages of the JSON API, by their stable error code
error-invalid-request = リクエストが無効です。
error-payload-too-large = リクエストが大きすぎます。
error-unsupported-media-type = リクエストはJSON形式で送信してください。
error-request-timeout = リクエストの受信に時間がかかりすぎました。もう一度お試しください。
error-ceremony-not-found = このブラウザーで処理中のパスキーのリクエストがないか、有効期限が切れています。もう一度お試しください。
error-registration-failed = パスキーを作成できませんでした。もう一度お試しください。
error-credential-exists = このパスキーはすでに登録されています。
error-username-taken = このユーザー名はすでに使われています。別のユーザー名を選んでください。
error-authentication-failed = このパスキーでサインインできませんでした。もう一度試すか、別のパスキーを使ってください。
error-unauthorized = 先にサインインしてください。
error-reauth-required = 本人確認のため、もう一度サインインしてから再試行してください。
error-factor-required = 先にサインインを完了してください（このアカウントの2段階目の手順、またはパスキーによるサインイン）。その後、パスキーを追加してください。
error-forbidden = この操作は許可されていません。
error-not-found = 見つかりません。
error-conflict = 現在のアカウントの状態と矛盾しています。ページを再読み込みして、もう一度お試しください。
error-last-passkey = これは唯一のパスキーで、サインインできる唯一の方法です。削除する前に、別のパスキーを追加してください。
# { $max } is the most passkeys an account may have.
error-too-many-passkeys = このアカウントのパスキーは上限の{ $max }個に達しています。新しいパスキーを追加するには、既存のパスキーを削除してください。
error-recovery-failed = このユーザー名とリカバリーコードに一致する未使用のコードはありません。
error-rate-limited = 試行回数が多すぎます。しばらく待ってから、もう一度お試しください。
error-unavailable = サービスが一時的に利用できません。しばらくしてから、もう一度お試しください。
error-internal = サーバー側で問題が発生しました。
## More precise errors
error-other-site = このリクエストは別のサイトから送信されました。
error-sign-up-closed = このサイトでは現在、新規登録を受け付けていません。
error-signed-in = サインイン中です。別のアカウントを作成するには、先にサインアウトしてください。
error-username-missing = ユーザー名を入力してください。
# { $field } is `username`, `display_name` or `name` (a passkey's name).
error-name-too-long =
    { $field ->
        [username] ユーザー名
        [display_name] 表示名
       *[name] 名前
    }は{ $max }文字以内で入力してください。
error-name-invisible =
    { $field ->
        [username] ユーザー名
        [display_name] 表示名
       *[name] 名前
    }には、制御文字や不可視の書式文字を使用できません。
error-passkey-not-found = このIDのパスキーは見つかりません。
error-passkey-name-missing = パスキーの名前を1〜64文字で入力してください。
error-session-not-found = このIDのセッションは見つかりません。
error-never-not-offered = このサイトでは「今後表示しない」は利用できません。
error-recovery-not-offered = このアカウントではリカバリーコードを利用できません。
error-recovery-too-long = ユーザー名またはリカバリーコードが長すぎます。
