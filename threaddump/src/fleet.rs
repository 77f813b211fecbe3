//! The demo fleet's own format (README, "Thread dump format").

use crate::{DumpError, Thread};

fn lock_id(line: &str) -> Option<String> {
    let start = line.find('<')? + 1;
    let end = line[start..].find('>')? + start;
    Some(line[start..end].to_string())
}

pub fn parse(text: &str) -> Result<Vec<Thread>, DumpError> {
    let mut lines = text.lines();
    if !lines.next().is_some_and(|l| l.starts_with("switchboard-thread-dump 1")) {
        return Err(DumpError { line: 1, message: "expected \"switchboard-thread-dump 1\"".into() });
    }
    let mut threads: Vec<Thread> = Vec::new();
    for line in lines {
        if let Some(rest) = line.strip_prefix('"') {
            let Some((name, attrs)) = rest.split_once('"') else { continue };
            let state = attrs
                .split_whitespace()
                .find_map(|a| a.strip_prefix("state="))
                .unwrap_or("UNKNOWN")
                .to_string();
            threads.push(Thread { name: name.to_string(), state, ..Thread::default() });
        } else if let Some(t) = threads.last_mut() {
            let l = line.trim_start();
            if let Some(f) = l.strip_prefix("at ") {
                t.frames.push(f.to_string());
            } else if l.starts_with("- waiting to lock ") {
                t.waiting_on = lock_id(l);
            } else if l.starts_with("- locked ") {
                t.holds.extend(lock_id(l));
            }
        }
    }
    Ok(threads)
}
