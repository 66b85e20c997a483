//! A readable label for the device a session was opened on ("Firefox on Linux"), read
//! from its User-Agent by woothee. Only the label is kept, never the header.

/// The words of a label, written here and read back by [`parts`].
const UNKNOWN: &str = "Unknown device";
const A_BROWSER_ON: &str = "A browser on ";
const ON: &str = " on ";

/// The label for a User-Agent: browser and operating system, what is known of them.
pub(crate) fn label(user_agent: Option<&str>) -> String {
    let parsed = user_agent.and_then(|ua| woothee::parser::Parser::new().parse(ua));
    let known = |value: &str| !value.is_empty() && value != woothee::woothee::VALUE_UNKNOWN;
    let label = match parsed {
        Some(p) if known(p.name) && known(p.os) => format!("{}{ON}{}", p.name, p.os),
        Some(p) if known(p.name) => p.name.to_string(),
        Some(p) if known(p.os) => format!("{A_BROWSER_ON}{}", p.os),
        _ => UNKNOWN.to_string(),
    };
    // A label is shown, so it holds no control characters and stays short.
    label.chars().filter(|c| !c.is_control()).take(64).collect()
}

/// What a stored label says, in parts, so that a screen can say it in its own language
/// (the names of browsers and systems are not translated).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parts<'a> {
    /// A browser on a system: "Firefox on Linux".
    On { browser: &'a str, os: &'a str },
    /// A system alone: "A browser on Linux".
    Os(&'a str),
    /// Nothing known.
    Unknown,
    /// A browser alone, or a label of another form, shown as it is.
    Name(&'a str),
}

/// The parts of a label [`label`] made.
pub(crate) fn parts(label: &str) -> Parts<'_> {
    if label == UNKNOWN {
        Parts::Unknown
    } else if let Some(os) = label.strip_prefix(A_BROWSER_ON) {
        Parts::Os(os)
    } else if let Some((browser, os)) = label.split_once(ON) {
        Parts::On { browser, os }
    } else {
        Parts::Name(label)
    }
}

#[cfg(test)]
mod tests {
    use super::{label, parts, Parts};

    #[test]
    fn labels_people_recognise() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(label(Some(firefox)), "Firefox on Linux");
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                      (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(label(Some(chrome)), "Chrome on Windows 10");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
        assert_eq!(label(Some(iphone)), "Safari on iPhone");
        assert_eq!(label(None), "Unknown device");
        assert_eq!(label(Some("")), "Unknown device");
        // Each label reads back as its parts.
        assert_eq!(
            parts(&label(Some(firefox))),
            Parts::On {
                browser: "Firefox",
                os: "Linux"
            }
        );
        assert_eq!(parts(&label(None)), Parts::Unknown);
        assert_eq!(parts("A browser on Linux"), Parts::Os("Linux"));
        assert_eq!(parts("Opera"), Parts::Name("Opera"));
        assert_eq!(label(Some("curl/8.5.0")), "HTTP Library");
    }
}
