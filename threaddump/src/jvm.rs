//! JVM thread dumps: `jstack` and `jcmd Thread.print`, JDK 8 to 21.

use crate::{DumpError, Thread};

/// `"name" #12 daemon prio=5 os_prio=0 cpu=… tid=0x… nid=0x… waiting on condition [0x…]`
pub fn is_header(line: &str) -> bool {
    line.starts_with('"')
        && line[1..].contains('"')
        && (line.contains("nid=") || line.contains(" prio=") || line.contains(" tid="))
}

fn thread_name(line: &str) -> String {
    // The name ends at the last quote before the first attribute.
    let attrs = [" #", " daemon", " prio=", " tid=", " nid=", " os_prio="]
        .iter()
        .filter_map(|a| line.find(a))
        .min()
        .unwrap_or(line.len());
    line[..attrs].trim_end().trim_matches('"').to_string()
}

/// The object id in `<0x000000076ab62208>`.
fn lock_id(line: &str) -> Option<String> {
    let start = line.find('<')? + 1;
    let end = line[start..].find('>')? + start;
    Some(line[start..end].to_string())
}

fn function(frame: &str) -> String {
    frame.split('(').next().unwrap_or(frame).trim().to_string()
}

pub fn parse(text: &str) -> Result<Vec<Thread>, DumpError> {
    let mut threads: Vec<Thread> = Vec::new();
    let mut in_synchronizers = false;
    for raw in text.lines() {
        let line = raw.trim_end();
        if is_header(line) {
            let state = if line.contains(" runnable") { "RUNNABLE" } else { "WAITING" };
            threads.push(Thread { name: thread_name(line), state: state.to_string(), ..Thread::default() });
            in_synchronizers = false;
            continue;
        }
        if line.starts_with("Found ") && line.contains("deadlock") || line.starts_with("JNI global") {
            // The JVM's own deadlock report repeats the threads; the lock lines above suffice.
            in_synchronizers = false;
            threads.push(Thread { name: String::new(), ..Thread::default() });
            continue;
        }
        let Some(t) = threads.last_mut().filter(|t| !t.name.is_empty()) else { continue };
        let trimmed = line.trim_start();
        if let Some(state) = trimmed.strip_prefix("java.lang.Thread.State: ") {
            t.state = state.split_whitespace().next().unwrap_or("UNKNOWN").to_string();
        } else if let Some(frame) = trimmed.strip_prefix("at ") {
            t.frames.push(function(frame));
        } else if trimmed.starts_with("- locked ") {
            t.holds.extend(lock_id(trimmed));
        } else if trimmed.starts_with("- waiting to lock ") {
            t.waiting_on = lock_id(trimmed);
        } else if trimmed.starts_with("- parking to wait for ") && !trimmed.contains("ConditionObject") {
            // Parked on a java.util.concurrent lock (not on a condition: that is an idle wait).
            t.waiting_on = lock_id(trimmed);
        } else if trimmed.starts_with("Locked ownable synchronizers:") {
            in_synchronizers = true;
        } else if in_synchronizers && trimmed.starts_with("- <") {
            t.holds.extend(lock_id(trimmed));
        }
    }
    threads.retain(|t| !t.name.is_empty());
    if threads.is_empty() {
        return Err(DumpError {
            line: 1,
            message: "no thread header (\"name\" … nid=…) found: is this a JVM thread dump?".into(),
        });
    }
    Ok(threads)
}
