//! Go goroutine dumps: `debug=2` (every goroutine with its state) and `debug=1` (counted
//! stacks).

use crate::{DumpError, Thread};

/// `goroutine 18 [chan receive, 2 minutes]:`
pub fn is_header(line: &str) -> bool {
    line.starts_with("goroutine ") && line.ends_with("]:") && line.contains(" [")
}

/// Go's wait reasons in the JVM's words.
fn state(reason: &str) -> &'static str {
    let r = reason.split(',').next().unwrap_or("").trim();
    match r {
        "running" | "runnable" | "syscall" => "RUNNABLE",
        "sleep" => "TIMED_WAITING",
        r if r.starts_with("semacquire") || r.starts_with("sync.Mutex") || r.starts_with("sync.RWMutex") => {
            "BLOCKED"
        }
        _ => "WAITING",
    }
}

fn function(line: &str) -> String {
    // `main.worker(0xc000010000, 0x2)` → `main.worker`; keep method receivers like `(*T).m`.
    match line.rfind('(') {
        Some(i) if line.ends_with(')') && i > 0 => line[..i].to_string(),
        _ => line.to_string(),
    }
}

pub fn parse(text: &str) -> Result<Vec<Thread>, DumpError> {
    if text.trim_start().starts_with("goroutine profile:") {
        return parse_counted(text);
    }
    let mut threads: Vec<Thread> = Vec::new();
    for line in text.lines() {
        if is_header(line) {
            let (head, reason) = line.trim_end_matches("]:").split_once(" [").unwrap_or((line, ""));
            threads.push(Thread {
                name: head.to_string(),
                state: state(reason).to_string(),
                ..Thread::default()
            });
        } else if let Some(t) = threads.last_mut() {
            if line.is_empty()
                || line.starts_with('\t')
                || line.starts_with("created by ")
                || line.starts_with("...")
            {
                continue;
            }
            t.frames.push(function(line.trim()));
        }
    }
    if threads.is_empty() {
        return Err(DumpError {
            line: 1,
            message: "no \"goroutine N [state]:\" header found: is this a debug=2 goroutine dump?".into(),
        });
    }
    Ok(threads)
}

/// `debug=1`: `N @ 0x… 0x…` then `#\t0x…\tmain.worker+0x44\tfile:line` lines.
fn parse_counted(text: &str) -> Result<Vec<Thread>, DumpError> {
    let mut threads = Vec::new();
    let mut current: Option<(usize, Vec<String>)> = None;
    let flush = |current: &mut Option<(usize, Vec<String>)>, threads: &mut Vec<Thread>| {
        if let Some((count, frames)) = current.take() {
            let first = threads.len();
            for i in 0..count.min(100_000) {
                threads.push(Thread {
                    name: format!("goroutine {}", first + i + 1),
                    state: "UNKNOWN".into(),
                    frames: frames.clone(),
                    ..Thread::default()
                });
            }
        }
    };
    for (n, line) in text.lines().enumerate() {
        if let Some((count, _)) = line.split_once(" @ ") {
            flush(&mut current, &mut threads);
            let count = count.trim().parse::<usize>().map_err(|_| DumpError {
                line: n + 1,
                message: format!("expected a goroutine count before @, found {count:?}"),
            })?;
            current = Some((count, Vec::new()));
        } else if let (Some(rest), Some((_, frames))) = (line.strip_prefix("#\t"), current.as_mut()) {
            let func = rest.split('\t').nth(1).unwrap_or("");
            let func = func.rsplit_once("+0x").map_or(func, |(f, _)| f);
            frames.push(func.to_string());
        }
    }
    flush(&mut current, &mut threads);
    if threads.is_empty() {
        return Err(DumpError {
            line: 1,
            message: "no \"N @ …\" stack found in the goroutine profile".into(),
        });
    }
    Ok(threads)
}
