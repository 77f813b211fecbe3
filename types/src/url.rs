//! Percent-encoding for query strings and paths, the same in the browser and on the server.

/// Every byte but the unreserved characters of RFC 3986 escaped: safe in a path segment
/// and in a query value.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn escapes_all_but_unreserved() {
        assert_eq!(encode("not a profile: a&b=c #1"), "not%20a%20profile%3A%20a%26b%3Dc%20%231");
        assert_eq!(encode("capture.request"), "capture.request");
        assert_eq!(encode("é"), "%C3%A9");
    }
}
