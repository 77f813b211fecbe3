//! The package a function belongs to, for colouring frames: a Rust crate, a Go import path
//! or a Java package. Runs in the browser too.

/// `demo::chaos::spin` → `demo`; `<alloc::vec::Vec<T> as Drop>::drop` → `alloc`;
/// `github.com/acme/x.(*T).Run` → `github.com/acme/x`; `runtime.mallocgc` → `runtime`;
/// `java.util.concurrent.ThreadPoolExecutor.getTask` → `java.util.concurrent`; a C symbol → "".
pub fn package_of(function: &str) -> &str {
    let name = function.trim_start_matches(['<', '&', '*']);
    if let Some(end) = name.find("::") {
        return &name[..end];
    }
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let tail = &name[last_slash..];
    let Some(dot) = tail.find('.') else {
        return if last_slash > 0 { name } else { "" };
    };
    if last_slash == 0 {
        // Java: the package ends before the first capitalised segment (the class).
        let mut end = 0;
        for segment in name.split('.') {
            if segment.starts_with('(') {
                break; // a Go method: `main.(*Server).Handle`
            }
            if segment.starts_with(|c: char| c.is_ascii_uppercase()) {
                return if end == 0 { "" } else { &name[..end - 1] };
            }
            end += segment.len() + 1;
        }
    }
    &name[..last_slash + dot]
}

#[cfg(test)]
mod tests {
    use super::package_of;

    #[test]
    fn packages_of_rust_go_java_and_c_names() {
        let cases = [
            ("demo::chaos::spin", "demo"),
            ("<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop", "alloc"),
            ("github.com/acme/x.(*T).Run", "github.com/acme/x"),
            ("runtime.mallocgc", "runtime"),
            ("main.main", "main"),
            ("main.(*Server).Handle", "main"),
            ("java.util.concurrent.ThreadPoolExecutor.getTask", "java.util.concurrent"),
            ("Stuck.main", ""),
            ("prof_backtrace_impl", ""),
            ("", ""),
        ];
        for (name, package) in cases {
            assert_eq!(package_of(name), package, "{name}");
        }
    }
}
