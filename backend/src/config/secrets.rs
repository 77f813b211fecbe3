//! Passwords out of what the hub shows: the config text on its page, the reload diff, the
//! audit and errors quote URLs, and a URL may carry `user:password@` or `password=`.

/// `text` with the password of every URL in it replaced by `***` (a `${VAR}` reference is
/// not a secret and stays).
pub fn mask_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        out.push_str(&rest[..at + 3]);
        rest = &rest[at + 3..];
        let end = rest.find(|c: char| "/?#\"' \t\r\n".contains(c)).unwrap_or(rest.len());
        let authority = &rest[..end];
        match authority
            .rfind('@')
            .and_then(|a| authority[..a].split_once(':').map(|(user, pw)| (a, user, pw)))
        {
            Some((a, user, password)) if !password.is_empty() && !password.starts_with("${") => {
                out.push_str(user);
                out.push_str(":***");
                out.push_str(&authority[a..]);
            }
            _ => out.push_str(authority),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    mask_password_parameters(&out)
}

/// `password=…` (and `sslpassword=`, `pwd=`) in a query string.
fn mask_password_parameters(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let found = ["password=", "pwd="].iter().filter_map(|k| rest.find(k).map(|i| (i, k.len()))).min();
        let Some((i, len)) = found else { break };
        let value_start = i + len;
        out.push_str(&rest[..value_start]);
        rest = &rest[value_start..];
        let end = rest.find(|c: char| "&\"' \t\r\n".contains(c)).unwrap_or(rest.len());
        let value = &rest[..end];
        out.push_str(if value.is_empty() || value.starts_with("${") { value } else { "***" });
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::mask_secrets;

    #[test]
    fn passwords_are_masked_and_references_kept() {
        let text = "url = \"postgres://app:s3cret@db:5432/orders\"\nread = 'mysql://root:p%40ss@h/x?ssl=1'";
        let masked = mask_secrets(text);
        assert!(!masked.contains("s3cret") && !masked.contains("p%40ss"), "{masked}");
        assert!(
            masked.contains("postgres://app:***@db:5432/orders")
                && masked.contains("mysql://root:***@h/x?ssl=1")
        );
        assert_eq!(mask_secrets("postgres://app:${DB_PASSWORD}@db/x"), "postgres://app:${DB_PASSWORD}@db/x");
        assert_eq!(
            mask_secrets("postgres://root@db/x and http://h/metrics"),
            "postgres://root@db/x and http://h/metrics"
        );
        assert_eq!(
            mask_secrets("postgres://h/x?user=a&password=hunter2&ssl=1"),
            "postgres://h/x?user=a&password=***&ssl=1"
        );
        assert_eq!(mask_secrets("a://"), "a://");
    }
}
