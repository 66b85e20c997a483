# rocket_passkeys: every sentence the crate shows a person, in Arabic (Modern Standard Arabic).
#
# Same message ids as en.ftl; a message missing here falls back to English.
#
# Variables: { $site } is the site's name (`rp_name`), { $name } a user's own words.
# Terminology: مفتاح المرور / مفاتيح المرور, رمز الاسترداد / رموز الاسترداد,
# تسجيل الدخول / تسجيل الخروج, اسم المستخدم, الاسم المعروض, الجلسة.

## The locale itself, as its speakers write it (the language menu shows it).
language-name = العربية

## Every screen
layout-language = اللغة
layout-noscript = تتطلب مفاتيح المرور تفعيل JavaScript. يُرجى تفعيله لهذا الموقع.
optional = (اختياري)

## Sign-in screen
sign-in-title = تسجيل الدخول
sign-in-heading = تسجيل الدخول إلى { $site }
sign-in-username = اسم المستخدم
sign-in-username-hint = يمكنك ترك هذا الحقل فارغًا واختيار مفتاح المرور.
sign-in-submit = تسجيل الدخول بمفتاح مرور
sign-in-lost = هل فقدت جميع الأجهزة التي عليها مفتاح المرور؟
sign-in-recover = استخدام رمز استرداد
sign-in-new = ليس لديك حساب؟
sign-in-sign-up = إنشاء حساب

## Sign-up screen
sign-up-title = إنشاء حسابك
sign-up-lead = يستخدم حسابك على { $site } مفتاح مرور بدلًا من كلمة المرور.
sign-up-username = اسم المستخدم
sign-up-display-name = الاسم المعروض
sign-up-display-name-hint = الطريقة التي تريد أن يظهر بها اسمك.
sign-up-submit = إنشاء حساب بمفتاح مرور
sign-up-about-title = ما مفتاح المرور؟
sign-up-about =
    يتيح لك مفتاح المرور تسجيل الدخول دون كلمة مرور. وتفتح قفله كما تفتح قفل جهازك:
    بقفل الشاشة أو ببصمة إصبعك أو بوجهك. ويتولى مدير كلمات المرور مزامنته بين أجهزتك،
    ولا يعمل إلا على هذا الموقع، فلا يستطيع أحد خداعك للحصول عليه.
sign-up-have-account = لديك حساب بالفعل؟
sign-up-sign-in = تسجيل الدخول

## The "create a passkey?" prompt
enroll-title = إنشاء مفتاح مرور؟
enroll-heading = سجّل الدخول بسرعة أكبر باستخدام مفتاح مرور
enroll-lead = يمكنك تسجيل الدخول إلى { $site } دون كتابة كلمة المرور.
enroll-here-heading = إنشاء مفتاح مرور على هذا الجهاز؟
enroll-here-lead =
    سجّلت الدخول بمفتاح مرور من جهاز آخر. وإذا أنشأت مفتاحًا على هذا الجهاز أيضًا،
    فستتمكن من تسجيل الدخول إلى { $site } هنا دون الحاجة إلى ذلك الجهاز.
enroll-about-title = ما مفتاح المرور؟
enroll-about =
    تفتح قفل مفتاح المرور كما تفتح قفل جهازك: بقفل الشاشة أو ببصمة إصبعك أو بوجهك.
    ويتولى مدير كلمات المرور مزامنته بين أجهزتك. ولا يعمل إلا على هذا الموقع، فلا يستطيع
    أحد خداعك للحصول عليه، كما أنه يقوم مقام الخطوتين معًا في تسجيل الدخول بخطوتين.
enroll-create = إنشاء مفتاح مرور
enroll-skip = ليس الآن
enroll-never = لا تسألني مرة أخرى
enroll-later = يمكنك إنشاء مفتاح مرور لاحقًا من إعدادات حسابك.

## Recovery screen
recover-title = استرداد حسابك
recover-lead =
    هل فقدت جميع الأجهزة التي عليها مفتاح المرور؟ سجّل الدخول بأحد رموز الاسترداد التي
    حفظتها عند إنشاء حسابك. يصلح كل رمز للاستخدام مرة واحدة فقط.
recover-username = اسم المستخدم
recover-code = رمز الاسترداد
# { $example } is a made-up code, shown as is.
recover-code-hint = مثل { $example }. لا تهم الشرطات ولا حالة الأحرف.
recover-submit = تسجيل الدخول برمز استرداد
recover-after =
    يؤدي تسجيل الدخول برمز استرداد إلى تسجيل خروجك من جميع الأجهزة الأخرى. بعد ذلك،
    أنشئ مفتاح مرور جديدًا على هذا الجهاز.
recover-back = العودة إلى تسجيل الدخول

## Recovery codes, shown once
codes-title = احفظ رموز الاسترداد
codes-lead =
    إذا فقدت جميع الأجهزة التي عليها مفتاح المرور، فإن كل رمز من هذه الرموز يتيح لك
    تسجيل الدخول مرة واحدة لتتمكن من إنشاء مفتاح مرور جديد. احفظها في مكان آمن، مثل
    مدير كلمات المرور أو نسخة مطبوعة. لن تظهر هذه الرموز إلا الآن.
codes-saved = حفظتُ هذه الرموز

## Passkey management screen
manage-title = مفاتيح المرور الخاصة بك
# { $name } is the display name; { $username } follows it when it differs.
manage-signed-in-as = تم تسجيل الدخول باسم { $name }
manage-signed-in-as-username = تم تسجيل الدخول باسم { $name } ({ $username })
manage-recovered =
    سجّلت الدخول برمز استرداد، وانتهت جميع الجلسات الأخرى. أنشئ الآن مفتاح مرور جديدًا
    على هذا الجهاز، واحذف مفاتيح المرور التي فقدتها.
manage-passkeys = مفاتيح المرور
manage-name = الاسم
manage-synced = متزامن بين أجهزتك
manage-device-only = على هذا الجهاز فقط
manage-provider-unknown = مفتاح مرور
manage-created = تاريخ الإنشاء: { $date }
manage-last-used = آخر استخدام: { $date }
manage-never-used = لم يُستخدم قط
manage-rename = إعادة التسمية
manage-delete = حذف
manage-none = ليس لديك أي مفتاح مرور بعد.
manage-add = إضافة مفتاح مرور
manage-factor-required =
    لإضافة مفاتيح المرور أو إعادة تسميتها أو حذفها، أكمل تسجيل الدخول أولًا (لحسابك خطوة
    أخرى، مثل رمز من تطبيق مصادقة).
manage-delete-note =
    حذف مفتاح المرور هنا لا يزيله من جهازك ولا من مدير كلمات المرور؛ ويُطلب من المتصفحات
    التي تدعم ذلك أن تنساه.
manage-recovery-title = رموز الاسترداد
# { $left } of { $total } codes are still unused.
manage-recovery-left =
    { $left ->
        [zero] ليس لديك أي رمز غير مستخدم من أصل { $total }. يتيح كل رمز استرداد تسجيل الدخول مرة واحدة إذا فقدت جميع مفاتيح المرور.
        [one] لديك رمز واحد غير مستخدم من أصل { $total }. يتيح كل رمز استرداد تسجيل الدخول مرة واحدة إذا فقدت جميع مفاتيح المرور.
        [two] لديك رمزان غير مستخدمين من أصل { $total }. يتيح كل رمز استرداد تسجيل الدخول مرة واحدة إذا فقدت جميع مفاتيح المرور.
        [few] لديك { $left } رموز غير مستخدمة من أصل { $total }. يتيح كل رمز استرداد تسجيل الدخول مرة واحدة إذا فقدت جميع مفاتيح المرور.
        [many] لديك { $left } رمزًا غير مستخدم من أصل { $total }. يتيح كل رمز استرداد تسجيل الدخول مرة واحدة إذا فقدت جميع مفاتيح المرور.
       *[other] لديك { $left } رمز غير مستخدم من أصل { $total }. يتيح كل رمز استرداد تسجيل الدخول مرة واحدة إذا فقدت جميع مفاتيح المرور.
    }
manage-recovery-new = إنشاء رموز جديدة
manage-recovery-note = تحل الرموز الجديدة محل الرموز القديمة، فتتوقف القديمة عن العمل.

## Sessions, on the management screen
sessions-title = الأجهزة التي سجّلت الدخول عليها
sessions-unknown-device = جهاز لم يتصل منذ تسجيل دخوله
session-device = { $browser } على { $os }
session-device-os = متصفح على { $os }
session-device-unknown = جهاز غير معروف
sessions-this-device = هذا الجهاز
# { $method } is one of the session-method-* phrases below; { $date } when it signed in.
sessions-signed-in-with = تم تسجيل الدخول باستخدام { $method } · { $date }
sessions-last-seen = آخر نشاط: { $date }
sessions-sign-out = تسجيل الخروج
sessions-sign-out-device = تسجيل الخروج من هذا الجهاز
sessions-limited = لعرض جلساتك الأخرى وإنهائها، أكمل تسجيل الدخول أولًا.
sessions-sign-out-others = تسجيل الخروج من جميع الأجهزة الأخرى
session-method-passkey-named = مفتاح المرور «{ $name }»
session-method-passkey = مفتاح مرور
session-method-password = كلمة مرور
session-method-one-time-code = رمز لمرة واحدة
session-method-email-link = رابط عبر البريد الإلكتروني
session-method-external = حساب آخر
session-method-recovery-code = رمز استرداد
session-method-other = طريقة أخرى
# Two or more methods, as in "a password and a one-time code".
session-method-and = { $first } و{ $second }

## Notices after a form on the management screen failed
notice-reauth =
    لتسجيل الخروج من الأجهزة الأخرى، سجّل الدخول مرة أخرى أولًا، فقد مضى على تسجيل دخولك
    أكثر من بضع دقائق.
notice-session-gone = انتهت هذه الجلسة بالفعل.
notice-factor = أكمل تسجيل الدخول أولًا (لحسابك خطوة أخرى).

## Dates and times. { $day }, { $hour } and { $minute } are numbers; { $month } is 1 to 12.
date-time =
    { $day } { $month ->
        [1] يناير
        [2] فبراير
        [3] مارس
        [4] أبريل
        [5] مايو
        [6] يونيو
        [7] يوليو
        [8] أغسطس
        [9] سبتمبر
        [10] أكتوبر
        [11] نوفمبر
       *[12] ديسمبر
    } { $year }، { $hour }:{ $minute } UTC

## The browser script's messages
script-generic = حدث خطأ ما. يُرجى المحاولة مرة أخرى.
script-network = تعذّر الوصول إلى الخادم. تحقّق من اتصالك وحاول مرة أخرى.
script-rate-limited = محاولات كثيرة جدًا. يُرجى الانتظار قليلًا ثم المحاولة مرة أخرى.
script-cancelled = لم يُستخدم أي مفتاح مرور. إذا لم يكن على هذا الجهاز مفتاح مرور لهذا الموقع، فجرّب جهازًا آخر أو سجّل الدخول بطريقة أخرى.
script-already-registered = يوجد على هذا الجهاز مفتاح مرور لهذا الحساب بالفعل.
script-security = لا يمكن استخدام مفاتيح المرور على هذا العنوان. يُرجى التحقق من عنوان الموقع.
script-constraint = لا يستطيع هذا الجهاز استيفاء متطلبات مفتاح المرور، مثل قفل الشاشة.
script-not-supported = لا يستطيع هذا الجهاز أو المتصفح إنشاء نوع مفتاح المرور الذي يتطلبه هذا الموقع.
script-insecure-context = تتطلب مفاتيح المرور اتصالًا آمنًا (HTTPS).
script-unsupported = لا يدعم هذا المتصفح مفاتيح المرور. يُرجى تجربة متصفح آخر أو تحديث هذا المتصفح.
script-confirm-codes = إنشاء رموز استرداد جديدة؟ ستتوقف الرموز الحالية عن العمل.
# { $name } is the passkey's name.
script-confirm-delete = حذف مفتاح المرور «{ $name }»؟ لن تتمكن بعد ذلك من تسجيل الدخول به.
script-codes-alert = احفظ رموز الاسترداد، فلن تظهر إلا الآن:

## Error messages of the JSON API, by their stable error code
error-invalid-request = الطلب غير صالح.
error-payload-too-large = الطلب كبير جدًا.
error-unsupported-media-type = أرسل الطلب بتنسيق JSON.
error-request-timeout = استغرق وصول الطلب وقتًا طويلًا. يُرجى المحاولة مرة أخرى.
error-ceremony-not-found = لا يوجد طلب مفتاح مرور معلّق لهذا المتصفح، أو انتهت صلاحيته. يُرجى المحاولة مرة أخرى.
error-registration-failed = تعذّر إنشاء مفتاح المرور. يُرجى المحاولة مرة أخرى.
error-credential-exists = مفتاح المرور هذا مسجّل بالفعل.
error-username-taken = اسم المستخدم هذا غير متاح. يُرجى اختيار اسم آخر.
error-authentication-failed = تعذّر تسجيل الدخول بمفتاح المرور هذا. حاول مرة أخرى أو استخدم مفتاح مرور آخر.
error-unauthorized = يُرجى تسجيل الدخول أولًا.
error-reauth-required = يُرجى تأكيد هويتك: سجّل الدخول مرة أخرى، ثم أعد المحاولة.
error-factor-required = أكمل تسجيل الدخول أولًا (الخطوة الثانية لهذا الحساب، أو مفتاح مرور)، ثم أضف مفتاح المرور.
error-forbidden = هذا الإجراء غير مسموح به هنا.
error-not-found = لا يوجد شيء هنا.
error-conflict = يتعارض هذا مع الحالة الحالية لحسابك. يُرجى إعادة تحميل الصفحة والمحاولة مرة أخرى.
error-last-passkey = هذا هو مفتاح المرور الوحيد لديك وطريقتك الوحيدة لتسجيل الدخول. أضف مفتاح مرور آخر قبل حذف هذا المفتاح.
# { $max } is the most passkeys an account may have.
error-too-many-passkeys =
    { $max ->
        [zero] لا يُسمح بإضافة أي مفتاح مرور إلى هذا الحساب.
        [one] لدى هذا الحساب مفتاح مرور واحد، وهو الحد الأقصى المسموح به. احذفه لإضافة مفتاح آخر.
        [two] لدى هذا الحساب مفتاحا مرور، وهو الحد الأقصى المسموح به. احذف أحدهما لإضافة مفتاح آخر.
        [few] لدى هذا الحساب { $max } مفاتيح مرور، وهو الحد الأقصى المسموح به. احذف أحدها لإضافة مفتاح آخر.
        [many] لدى هذا الحساب { $max } مفتاحًا للمرور، وهو الحد الأقصى المسموح به. احذف أحدها لإضافة مفتاح آخر.
       *[other] لدى هذا الحساب { $max } مفتاح مرور، وهو الحد الأقصى المسموح به. احذف أحدها لإضافة مفتاح آخر.
    }
error-recovery-failed = لا يتطابق اسم المستخدم ورمز الاسترداد هذان مع أي رمز غير مستخدم.
error-rate-limited = محاولات كثيرة جدًا. يُرجى الانتظار قليلًا ثم المحاولة مرة أخرى.
error-unavailable = الخدمة غير متاحة مؤقتًا. يُرجى المحاولة مرة أخرى بعد قليل.
error-internal = حدث خطأ ما من جهتنا.
## More precise errors
error-other-site = ورد هذا الطلب من موقع آخر.
error-sign-up-closed = إنشاء حسابات جديدة غير متاح على هذا الموقع.
error-signed-in = أنت مسجّل الدخول بالفعل؛ سجّل الخروج قبل إنشاء حساب آخر.
error-username-missing = اختر اسم مستخدم.
# { $field } is `username`, `display_name` or `name` (a passkey's name).
error-name-too-long =
    يجب ألا يتجاوز عدد أحرف { $field ->
        [username] اسم المستخدم
        [display_name] الاسم المعروض
       *[name] الاسم
    } { $max }.
error-name-invisible =
    يجب ألا يحتوي { $field ->
        [username] اسم المستخدم
        [display_name] الاسم المعروض
       *[name] الاسم
    } على أحرف تحكم أو أحرف تنسيق غير مرئية.
error-passkey-not-found = ليس لديك مفتاح مرور بهذا المعرّف.
error-passkey-name-missing = أدخل اسمًا لمفتاح المرور من 1 إلى 64 حرفًا.
error-session-not-found = ليس لديك جلسة بهذا المعرّف.
error-never-not-offered = خيار «لا تسألني مرة أخرى» غير متاح على هذا الموقع.
error-recovery-not-offered = رموز الاسترداد غير متاحة لهذا الحساب.
error-recovery-too-long = اسم المستخدم أو رمز الاسترداد طويل جدًا.
