//! JDK 21's JSON thread dumps (`jcmd <pid> Thread.dump_to_file -format=json`), virtual threads
//! included: thread containers (the root, each executor, each virtual-thread scheduler), each
//! with threads of `tid`, `name` and `stack`. JDK 21 writes no state; later JDKs add `state`,
//! `parkBlocker`, `blockedOn`, `waitingOn` and `monitorsOwned`, read when present. Without a
//! state the top frame tells it (parked or waiting: WAITING, sleeping: TIMED_WAITING).

use crate::{DumpError, Thread};
use serde_json::Value;

/// The body looks like one (checked before JSON is parsed).
pub fn is_json_dump(head: &str) -> bool {
    head.trim_start().starts_with('{') && head.contains("\"threadDump\"")
}

fn bad(message: impl Into<String>) -> DumpError {
    DumpError { line: 1, message: message.into() }
}

/// `java.base/java.lang.Thread.sleep(Native Method)` → `java.lang.Thread.sleep`, as the
/// jstack parser names functions.
fn function(frame: &str) -> String {
    let call = frame.split('(').next().unwrap_or(frame);
    let call = match call.split_once('/') {
        Some((module, rest))
            if !module.contains('.') || module.starts_with("java.") || module.starts_with("jdk.") =>
        {
            // `module@version/…` or `module/…`: the module goes; an app class path keeps its dots.
            if rest.contains('.') {
                rest
            } else {
                call
            }
        }
        _ => call,
    };
    call.trim().to_string()
}

fn inferred_state(frames: &[String]) -> &'static str {
    let top = frames.first().map_or("", String::as_str);
    if top.ends_with("Thread.sleep") || top.ends_with("Thread.sleep0") || top.contains("sleepNanos") {
        "TIMED_WAITING"
    } else if top.contains("Unsafe.park") || top.ends_with("Object.wait") || top.ends_with("Object.wait0") {
        "WAITING"
    } else {
        "RUNNABLE"
    }
}

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(o) => o.get("object").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

fn thread(t: &Value, container: &str) -> Result<Thread, DumpError> {
    let tid = match t.get("tid") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(bad(format!("a thread of container {container:?} has no tid"))),
    };
    let frames: Vec<String> = match t.get("stack") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(function).collect(),
        Some(_) => return Err(bad(format!("thread {tid}: stack is not an array"))),
    };
    let virtual_thread = t.get("virtual").and_then(Value::as_bool).unwrap_or(false);
    let name = match t.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()) {
        Some(n) => n.to_string(),
        // Virtual threads are usually unnamed: their id and their container say what they are.
        None if virtual_thread
            || container.contains("VirtualThread")
            || container.contains("SharedThreadContainer") =>
        {
            format!("virtual-{tid}")
        }
        None => format!("tid-{tid}"),
    };
    let state = match t.get("state").and_then(Value::as_str) {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => inferred_state(&frames).to_string(),
    };
    let mut holds = Vec::new();
    if let Some(Value::Array(owned)) = t.get("monitorsOwned") {
        for m in owned {
            if let Some(Value::Array(locks)) = m.get("locks") {
                holds.extend(locks.iter().filter_map(Value::as_str).map(str::to_string));
            }
        }
    }
    let waiting_on = text_of(t.get("blockedOn"))
        .or_else(|| text_of(t.get("parkBlocker")).filter(|b| !b.contains("ConditionObject")))
        .or_else(|| text_of(t.get("waitingOn")).filter(|_| state == "BLOCKED"));
    Ok(Thread { name, state, frames, holds, waiting_on })
}

pub fn parse(text: &str) -> Result<Vec<Thread>, DumpError> {
    let root: Value = serde_json::from_str(text)
        .map_err(|e| DumpError { line: e.line(), message: format!("not JSON: {e}") })?;
    let dump = root
        .get("threadDump")
        .ok_or_else(|| bad("no \"threadDump\" object: is this jcmd's JSON thread dump?"))?;
    let containers = dump
        .get("threadContainers")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("threadDump has no threadContainers array"))?;
    let mut threads = Vec::new();
    for c in containers {
        let name = c.get("container").and_then(Value::as_str).unwrap_or("<unnamed>");
        if let Some(Value::Array(list)) = c.get("threads") {
            for t in list {
                threads.push(thread(t, name)?);
            }
        }
    }
    if threads.is_empty() {
        return Err(bad("the dump has no thread"));
    }
    Ok(threads)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As JDK 21 writes it (abridged): the root container, an executor's, and virtual threads.
    const JDK21: &str = r#"{
  "threadDump": {
    "processId": "40123",
    "time": "2026-12-02T18:00:00.000Z",
    "runtimeVersion": "21.0.5+11-LTS",
    "threadContainers": [
      {
        "container": "<root>", "parent": null, "owner": null,
        "threads": [
          { "tid": "1", "name": "main", "stack": [
              "java.base\/java.lang.Thread.sleep0(Native Method)",
              "java.base\/java.lang.Thread.sleep(Thread.java:509)",
              "com.example.Main.main(Main.java:12)" ] },
          { "tid": "21", "name": "Reference Handler", "stack": [
              "java.base\/java.lang.ref.Reference.waitForReferencePendingList(Native Method)" ] }
        ],
        "threadCount": "2"
      },
      {
        "container": "java.util.concurrent.ThreadPoolExecutor@5a07e868", "parent": "<root>", "owner": null,
        "threads": [
          { "tid": "33", "name": "pool-1-thread-1", "stack": [
              "java.base\/jdk.internal.misc.Unsafe.park(Native Method)",
              "java.base\/java.util.concurrent.locks.LockSupport.park(LockSupport.java:371)",
              "com.example.Quotes.fetch(Quotes.java:88)" ] }
        ],
        "threadCount": "1"
      },
      {
        "container": "java.util.concurrent.ThreadPerTaskExecutor@24d46ca6", "parent": "<root>", "owner": null,
        "threads": [
          { "tid": "41", "name": "", "stack": [
              "java.base\/java.lang.VirtualThread.park(VirtualThread.java:582)",
              "com.example.Quotes.price(Quotes.java:40)" ] }
        ],
        "threadCount": "1"
      }
    ]
  }
}"#;

    #[test]
    fn reads_jdk21s_json_dump_with_virtual_threads() {
        assert!(is_json_dump(JDK21));
        let threads = parse(JDK21).unwrap_or_default();
        let names: Vec<&str> = threads.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["main", "Reference Handler", "pool-1-thread-1", "tid-41"]);
        assert_eq!(threads[0].frames[0], "java.lang.Thread.sleep0");
        assert_eq!(threads[0].frames[2], "com.example.Main.main");
        assert_eq!(threads[0].state, "TIMED_WAITING");
        assert_eq!(threads[2].state, "WAITING");
        assert_eq!(threads[1].state, "RUNNABLE");
    }

    #[test]
    fn reads_the_lock_fields_of_later_jdks_and_refuses_what_is_not_a_dump() {
        let later = r#"{"threadDump": {"threadContainers": [{"container": "<root>", "threads": [
            {"tid": "7", "name": "worker-1", "state": "BLOCKED", "virtual": false,
             "stack": ["com.example.Ledger.post(Ledger.java:10)"],
             "blockedOn": "java.lang.Object@1b2c3d",
             "monitorsOwned": [{"depth": 0, "locks": ["java.lang.Object@9f8e7d"]}]},
            {"tid": "8", "virtual": true, "stack": []}]}]}}"#;
        let threads = parse(later).unwrap_or_default();
        assert_eq!(threads[0].state, "BLOCKED");
        assert_eq!(threads[0].waiting_on.as_deref(), Some("java.lang.Object@1b2c3d"));
        assert_eq!(threads[0].holds, ["java.lang.Object@9f8e7d"]);
        assert_eq!(threads[1].name, "virtual-8");
        for bad in [
            "{",
            r#"{"threadDump": {}}"#,
            r#"{"threadDump": {"threadContainers": []}}"#,
            r#"{"threadDump": {"threadContainers": [{"threads": [{"name": "x"}]}]}}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
