//! What people and pages send, checked once: where to go next, and names (usernames,
//! display names, passkey names). Every route and the app-facing API use these, so each
//! rule lives here only.

use crate::error::{Error, ErrorCode};

/// The longest `next` path accepted: it travels in the sealed ceremony cookie, which
/// must stay under the 4 KiB browsers keep.
const MAX_NEXT: usize = 1024;
/// The longest username, display name or passkey name, in characters.
pub(crate) const MAX_NAME: usize = 64;

/// Returns the path when it is local to this site and a valid URI reference: one leading
/// `/` (not `//`), then only the characters RFC 3986 allows in a path, query and fragment
/// (unreserved, sub-delimiters, `:@/?`, one `#` before the fragment, and `%` followed by
/// two hex digits), at most 1024 bytes. Anything else (a scheme, another host, a backslash, spaces, quotes,
/// braces, non-ASCII text not percent-encoded) is not a place to send people.
pub(crate) fn local_path(path: &str) -> Option<&str> {
    let bytes = path.as_bytes();
    if bytes.first() != Some(&b'/') || bytes.get(1) == Some(&b'/') || path.len() > MAX_NEXT {
        return None;
    }
    let mut fragment = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            // A fragment holds no `#` (RFC 3986; Rocket's parser refuses it).
            b'#' if fragment => return None,
            b'#' => fragment = true,
            b'%' => {
                let hex = |at: usize| bytes.get(at).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return None;
                }
                i += 3;
                continue;
            }
            b if b.is_ascii_alphanumeric() => {}
            b'-' | b'.' | b'_' | b'~' => {}
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' => {}
            b':' | b'@' | b'/' | b'?' => {}
            _ => return None,
        }
        i += 1;
    }
    Some(path)
}

/// Where to send people next: a checked local path ([`local_path`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Next(String);

impl Next {
    /// A path the app or a page asked for; a bad one is `invalid_request`.
    pub fn parse(path: &str) -> Result<Next, Error> {
        local_path(path)
            .map(|path| Next(path.to_string()))
            .ok_or_else(|| Error::invalid("`next` must be a local path starting with `/`."))
    }

    /// `next` from a JSON body, or `default` (a configured path, checked at launch) when
    /// it names none; a bad one is `invalid_request`.
    pub fn or(next: Option<&str>, default: &str) -> Result<Next, Error> {
        match next {
            None | Some("") => Ok(Next(default.to_string())),
            Some(next) => Next::parse(next),
        }
    }

    /// `next` from a screen's query: a bad one is ignored (the screen shows anyway).
    pub fn lenient(next: Option<&str>, default: &str) -> Next {
        Next::or(next, default).unwrap_or_else(|_| Next(default.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// `?next=...`, percent-encoded, for links that come back here.
    pub fn query(&self) -> String {
        format!(
            "?next={}",
            rocket::http::RawStr::new(&self.0).percent_encode()
        )
    }
}

/// A username, display name or passkey name: trimmed, at most 64 characters, no control
/// or invisible formatting characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name(String);

impl Name {
    /// The name in `value` of the field `field`; none when blank.
    pub fn parse(field: &str, value: Option<&str>) -> Result<Option<Name>, Error> {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        if value.chars().count() > MAX_NAME {
            return Err(Error::say(ErrorCode::InvalidRequest, "error-name-too-long")
                .arg("field", field)
                .arg("max", MAX_NAME));
        }
        if value.chars().any(|c| c.is_control() || is_format(c)) {
            return Err(
                Error::say(ErrorCode::InvalidRequest, "error-name-invisible").arg("field", field),
            );
        }
        Ok(Some(Name(value.to_string())))
    }

    /// The same, and a blank one is `invalid_request` with `missing`.
    pub fn required(field: &str, value: Option<&str>, missing: &str) -> Result<Name, Error> {
        Name::parse(field, value)?.ok_or_else(|| Error::invalid(missing))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// What usernames are compared by: compatibility forms and case folded away (NFKC of
/// the lower case of NFKC), so `Émile`, `émile` and `ＥＭＩＬＥ`-style variants, or a
/// `K` written as the Kelvin sign, are one name. Unique per account, and the key of every
/// lookup and decoy, so no two spellings of a name can answer differently.
pub(crate) fn username_key(username: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let lower: String = username.nfkc().collect::<String>().to_lowercase();
    lower.nfkc().collect()
}

/// Invisible formatting characters (Unicode Cf) that make one name look like another:
/// zero-width spaces and joiners, bidirectional controls, soft hyphens, BOMs.
pub(crate) fn is_format(c: char) -> bool {
    matches!(c,
        '\u{ad}' | '\u{600}'..='\u{605}' | '\u{61c}' | '\u{6dd}' | '\u{70f}' | '\u{180e}'
        | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
        | '\u{e0001}' | '\u{e0020}'..='\u{e007f}')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn local_paths_only() {
        for ok in [
            "/",
            "/home",
            "/a?b=c#d",
            "/a%20b",
            "/caf%C3%A9",
            "/x;y=(1)*2!",
        ] {
            assert_eq!(local_path(ok), Some(ok), "{ok}");
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "home",
            "",
            "/a\nb",
            "/a b",
            "javascript:alert(1)",
            "/café",
            "/a\"b",
            "/a{b}",
            "/a<b>",
            "/a|b",
            "/a^b",
            "/a`b",
            "/a[b]",
            "/50%",
            "/%zz",
            "/##",
            "/a#b#c",
            "/a?b#c?d#e",
        ] {
            assert_eq!(local_path(bad), None, "{bad}");
        }
        assert!(local_path(&format!("/{}", "a".repeat(1023))).is_some());
        assert!(local_path(&format!("/{}", "a".repeat(1024))).is_none());
    }

    #[test]
    fn passkey_names() {
        let name = |v: &str| Name::required("name", Some(v), "blank").map(Name::into_string);
        assert_eq!(name("  Work laptop ").unwrap(), "Work laptop");
        assert_eq!(name("<script>").unwrap(), "<script>", "escaped on output");
        for bad in [
            "",
            "   ",
            "a\nb",
            "a\u{0}b",
            "\u{202e}evil",
            &"x".repeat(65),
        ] {
            assert!(name(bad).is_err(), "{bad:?}");
        }
        assert!(name(&"é".repeat(64)).is_ok(), "64 characters, not bytes");
    }

    #[test]
    fn spellings_of_one_name_share_a_key() {
        for (a, b) in [
            ("kilo", "\u{212a}ilo"),
            ("ñandú", "ÑANDÚ"),
            ("émile", "E\u{301}MILE"),
            ("alice", "ＡＬＩＣＥ"),
            ("Straße", "straße"),
        ] {
            assert_eq!(username_key(a), username_key(b), "{a} / {b}");
        }
        assert_ne!(username_key("alice"), username_key("alicia"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// Whatever passes can be put in a `Location` header by Rocket's `Redirect`
        /// (which parses it as a URI reference) and stays on this site.
        #[test]
        fn every_accepted_path_is_a_local_uri_reference(path in "/[ -~\u{80}-\u{10ffff}]{0,40}") {
            if let Some(path) = local_path(&path) {
                let parsed = rocket::http::uri::Reference::parse(path);
                prop_assert!(parsed.is_ok(), "{path}");
                if let Ok(reference) = parsed {
                    prop_assert!(reference.scheme().is_none() && reference.authority().is_none());
                }
            }
        }

        #[test]
        fn names_never_keep_controls_or_invisible_characters(value in "\\PC{0,80}|[\u{0}-\u{2070}]{0,80}") {
            if let Ok(Some(Name(name))) = Name::parse("username", Some(&value)) {
                prop_assert!(name.chars().count() <= MAX_NAME);
                prop_assert!(!name.chars().any(|c| c.is_control() || is_format(c)));
                prop_assert_eq!(name.trim(), name.as_str());
            }
        }
    }
}
