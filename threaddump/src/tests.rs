use super::*;

/// A real `jstack -l` of fixtures/Stuck.java (OpenJDK 17): two threads deadlocked on
/// monitors, two on ReentrantLocks, a pool of 4 with every worker busy, a pool of 2 idle.
const JSTACK: &str = include_str!("../fixtures/deadlock.jstack");

fn jvm(text: &str) -> Analysis {
    assert_eq!(detect(text), Some(DumpKind::Jvm));
    analyse(&parse(text, DumpKind::Jvm).expect("parses"))
}

#[test]
fn a_real_jstack_dump_names_both_deadlocks_and_the_exhausted_pool() {
    let a = jvm(JSTACK);
    assert!(a.threads > 15, "{}", a.threads);
    assert_eq!(a.states.get("BLOCKED"), Some(&2), "{:?}", a.states);
    let mut cycles: Vec<Vec<String>> = a.deadlocks.iter().map(|d| d.threads.clone()).collect();
    cycles.sort();
    assert_eq!(cycles, [vec!["ledger-reader", "ledger-writer"], vec!["settlement-1", "settlement-2"]]);
    assert!(a.deadlocks.iter().all(|d| d.locks.iter().all(|l| l.starts_with("0x"))), "{:?}", a.deadlocks);
    let orders = a.pools.iter().find(|p| p.name == "orders-exec").expect("the orders pool");
    assert_eq!((orders.threads, orders.busy, orders.idle, orders.exhausted), (4, 4, 0, true));
    let audit = a.pools.iter().find(|p| p.name == "audit-exec").expect("the audit pool");
    assert_eq!((audit.threads, audit.busy, audit.idle, audit.exhausted), (2, 0, 2, false));
    let largest = &a.groups[0];
    assert_eq!(largest.count, 4, "the busy workers share one stack: {largest:?}");
    assert_eq!(largest.frames[0], "java.lang.Thread.sleep");
}

#[test]
fn deadlocks_are_found_without_the_jvms_own_summary() {
    let cut = JSTACK.find("Found one Java-level deadlock").expect("the dump has a summary");
    let a = jvm(&JSTACK[..cut]);
    assert_eq!(a.deadlocks.len(), 2);
}

#[test]
fn goroutine_dumps_debug_2_and_debug_1() {
    let dump = "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1d\n\n\
goroutine 7 [semacquire, 3 minutes]:\nsync.runtime_SemacquireMutex(0xc0000a4018, 0x0, 0x1)\n\t/usr/lib/go/src/runtime/sema.go:77 +0x25\n\
sync.(*Mutex).lockSlow(0xc0000a4010)\n\t/usr/lib/go/src/sync/mutex.go:171 +0x165\nmain.transfer(...)\n\t/src/main.go:30\n\
created by main.main in goroutine 1\n\t/src/main.go:12 +0x5e\n\n\
goroutine 8 [semacquire, 3 minutes]:\nsync.runtime_SemacquireMutex(0xc0000a4018, 0x0, 0x1)\n\t/usr/lib/go/src/runtime/sema.go:77 +0x25\n\
sync.(*Mutex).lockSlow(0xc0000a4010)\n\t/usr/lib/go/src/sync/mutex.go:171 +0x165\nmain.transfer(...)\n\t/src/main.go:30\n\n\
goroutine 9 [chan receive]:\nmain.consume(0xc000020060)\n\t/src/main.go:40 +0x2a\n";
    assert_eq!(detect(dump), Some(DumpKind::Goroutine));
    let a = analyse(&parse(dump, DumpKind::Goroutine).expect("parses"));
    assert_eq!(a.threads, 4);
    assert_eq!(a.states.get("BLOCKED"), Some(&2));
    assert_eq!(a.groups[0].count, 2);
    assert_eq!(
        a.groups[0].frames,
        ["sync.runtime_SemacquireMutex", "sync.(*Mutex).lockSlow", "main.transfer"]
    );
    assert!(a.pools.is_empty(), "goroutines have no pool names");

    let counted = "goroutine profile: total 5\n3 @ 0x43a2f6 0x406b2c\n#\t0x4711a4\tmain.worker+0x44\t/src/main.go:20\n#\t0x4712b0\tmain.run+0x10\t/src/main.go:9\n\n2 @ 0x43a2f6\n#\t0x4711a4\tmain.idle+0x44\t/src/main.go:50\n";
    let a = analyse(&parse(counted, DumpKind::Goroutine).expect("parses"));
    assert_eq!(a.threads, 5);
    assert_eq!(
        (a.groups[0].count, a.groups[0].frames.clone()),
        (3, vec!["main.worker".to_string(), "main.run".to_string()])
    );
    assert!(parse("goroutine profile: total 1\nx @ 0x1\n", DumpKind::Goroutine).is_err());
}

#[test]
fn the_fleets_own_dump_with_a_lock_cycle() {
    let dump = "switchboard-thread-dump 1\nprocess orders-api-1 pid 42 threads 3\n\n\
\"orders-worker-1\" tid=43 state=BLOCKED kernel=S\n    - waiting to lock <0x0000000000000002> (b)\n    at demo::chaos::a\n    - locked <0x0000000000000001> (a)\n\n\
\"orders-worker-2\" tid=44 state=BLOCKED kernel=S\n    - waiting to lock <0x0000000000000001> (a)\n    at demo::chaos::b\n    - locked <0x0000000000000002> (b)\n\n\
\"orders-worker-3\" tid=45 state=WAITING kernel=S\n    at std::sync::mpsc::Receiver::recv\n    at demo::pool::WorkerPool::next_task\n\n\
\"tokio-rt-worker\" tid=46 state=WAITING kernel=S\n";
    assert_eq!(detect(dump), Some(DumpKind::Fleet));
    let a = analyse(&parse(dump, DumpKind::Fleet).expect("parses"));
    assert_eq!(a.deadlocks.len(), 1);
    assert_eq!(a.deadlocks[0].threads, ["orders-worker-1", "orders-worker-2"]);
    assert_eq!(a.deadlocks[0].locks, ["0x0000000000000002", "0x0000000000000001"]);
    let pool = &a.pools[0];
    assert_eq!((pool.name.as_str(), pool.threads, pool.busy, pool.idle), ("orders-worker", 3, 2, 1));
    let json = serde_json::to_value(&a).expect("serialises");
    for key in ["threads", "states", "groups", "pools", "deadlocks"] {
        assert!(json.get(key).is_some(), "{key}");
    }
}

#[test]
fn unknown_or_empty_input_is_an_error_not_a_panic() {
    assert_eq!(detect("hello"), None);
    assert!(parse("", DumpKind::Jvm).is_err());
    assert!(parse("", DumpKind::Goroutine).is_err());
    assert!(parse("", DumpKind::Fleet).is_err());
    for cut in (0..JSTACK.len()).step_by(97) {
        if JSTACK.is_char_boundary(cut) {
            let _ = parse(&JSTACK[..cut], DumpKind::Jvm).map(|t| analyse(&t));
        }
    }
}

fn thread(name: &str, state: &str, frames: &[&str], waiting_on: Option<&str>, holds: &[&str]) -> Thread {
    Thread {
        name: name.into(),
        state: state.into(),
        frames: frames.iter().map(|f| (*f).to_string()).collect(),
        holds: holds.iter().map(|h| (*h).to_string()).collect(),
        waiting_on: waiting_on.map(Into::into),
    }
}

#[test]
fn hot_locks_name_the_holder_and_the_waiters() {
    let a = jvm(JSTACK);
    // Every lock in the real dump has one waiter: no hot spot there.
    assert!(a.hot_locks.is_empty(), "{:?}", a.hot_locks);
    let threads = vec![
        thread("cache-loader", "RUNNABLE", &["Cache.load"], None, &["0xcafe"]),
        thread("http-1", "BLOCKED", &["Cache.get"], Some("0xcafe"), &[]),
        thread("http-2", "BLOCKED", &["Cache.get"], Some("0xcafe"), &[]),
        thread("http-3", "BLOCKED", &["Other.get"], Some("0xbeef"), &[]),
    ];
    let a = analyse(&threads);
    assert_eq!(a.hot_locks.len(), 1);
    assert_eq!(a.hot_locks[0].holder.as_deref(), Some("cache-loader"));
    assert_eq!(a.hot_locks[0].waiters, ["http-1", "http-2"]);
}

#[test]
fn a_dump_diff_shows_what_got_stuck_since() {
    let before = vec![
        thread("worker-1", "RUNNABLE", &["Job.run"], None, &[]),
        thread("worker-2", "WAITING", &["java.util.concurrent.ThreadPoolExecutor.getTask"], Some("0xq"), &[]),
        thread("old", "BLOCKED", &["A.b"], Some("0x1"), &[]),
        thread("gone-thread", "RUNNABLE", &["X.y"], None, &[]),
    ];
    let after = vec![
        thread("worker-1", "BLOCKED", &["Ledger.write"], Some("0xa"), &["0xb"]),
        thread("worker-2", "BLOCKED", &["Ledger.read"], Some("0xb"), &["0xa"]),
        thread("old", "BLOCKED", &["A.b"], Some("0x1"), &[]),
        thread("new-thread", "RUNNABLE", &["X.y"], None, &[]),
    ];
    let d = diff(&before, &after);
    let stuck: Vec<(&str, Option<&str>)> =
        d.newly_stuck.iter().map(|t| (t.name.as_str(), t.was.as_deref())).collect();
    assert_eq!(stuck, [("worker-1", Some("RUNNABLE")), ("worker-2", Some("WAITING"))]);
    assert_eq!(d.still_stuck.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["old"]);
    assert_eq!(d.new_deadlocks.len(), 1);
    assert_eq!(d.new_deadlocks[0].threads, ["worker-1", "worker-2"]);
    let blocked = d.states.iter().find(|s| s.state == "BLOCKED").expect("BLOCKED");
    assert_eq!((blocked.before, blocked.after), (1, 3));
    let pool = d.pools.iter().find(|p| p.name == "worker").expect("the worker pool");
    assert_eq!((pool.busy_before, pool.busy_after), (1, 2));
    assert_eq!(d.gone, ["gone-thread"]);
    assert!(diff(&after, &after).newly_stuck.is_empty(), "nothing new against itself");
}

/// The header lines of JDK 8 (no cpu/elapsed, hex nid) and JDK 21 (`#1 [12345]`, decimal nid)
/// around the same deadlock: both parse the same.
#[test]
fn jdk_8_and_jdk_21_headers_read_alike() {
    let jdk8 = r#"Full thread dump OpenJDK 64-Bit Server VM (25.402-b06 mixed mode):

"ledger-reader" #11 prio=5 os_prio=0 tid=0x00007f3c8c0f2000 nid=0x2e03 waiting for monitor entry [0x00007f3c5f7fe000]
   java.lang.Thread.State: BLOCKED (on object monitor)
	at Stuck.lambda$main$1(Stuck.java:12)
	- waiting to lock <0x000000076ab62208> (a java.lang.Object)
	- locked <0x000000076ab62218> (a java.lang.Object)
	at Stuck$$Lambda$2/791452441.run(Unknown Source)
	at java.lang.Thread.run(Thread.java:750)

"ledger-writer" #10 prio=5 os_prio=0 tid=0x00007f3c8c0f0800 nid=0x2e02 waiting for monitor entry [0x00007f3c5f8ff000]
   java.lang.Thread.State: BLOCKED (on object monitor)
	at Stuck.lambda$main$0(Stuck.java:11)
	- waiting to lock <0x000000076ab62218> (a java.lang.Object)
	- locked <0x000000076ab62208> (a java.lang.Object)
	at java.lang.Thread.run(Thread.java:750)

"VM Thread" os_prio=0 tid=0x00007f3c8c074800 nid=0x2df7 runnable
"#;
    let jdk21 = r#"2026-11-25 11:00:00
Full thread dump OpenJDK 64-Bit Server VM (21.0.5+11-Debian-1 mixed mode, sharing):

"ledger-reader" #31 [11779] prio=5 os_prio=0 cpu=0.95ms elapsed=3.02s tid=0x00007f1b3c1a2b40 nid=11779 waiting for monitor entry  [0x00007f1b0f3fe000]
   java.lang.Thread.State: BLOCKED (on object monitor)
	at Stuck.lambda$main$1(Stuck.java:12)
	- waiting to lock <0x000000062a81e4f0> (a java.lang.Object)
	- locked <0x000000062a81e500> (a java.lang.Object)
	at java.lang.Thread.runWith(java.base@21.0.5/Thread.java:1596)
	at java.lang.Thread.run(java.base@21.0.5/Thread.java:1583)

"ledger-writer" #30 [11778] prio=5 os_prio=0 cpu=1.02ms elapsed=3.02s tid=0x00007f1b3c1a1a90 nid=11778 waiting for monitor entry  [0x00007f1b0f4ff000]
   java.lang.Thread.State: BLOCKED (on object monitor)
	at Stuck.lambda$main$0(Stuck.java:11)
	- waiting to lock <0x000000062a81e500> (a java.lang.Object)
	- locked <0x000000062a81e4f0> (a java.lang.Object)
	at java.lang.Thread.run(java.base@21.0.5/Thread.java:1583)

"GC Thread#0" os_prio=0 cpu=0.31ms elapsed=3.05s tid=0x00007f1b3c02b2f0 nid=11750 runnable
"#;
    for dump in [jdk8, jdk21] {
        let a = jvm(dump);
        assert_eq!(a.threads, 3, "{dump}");
        assert_eq!(a.states.get("BLOCKED"), Some(&2));
        assert_eq!(a.deadlocks.len(), 1);
        assert_eq!(a.deadlocks[0].threads, ["ledger-reader", "ledger-writer"]);
        assert!(a.groups.iter().any(|g| g.frames[0] == "Stuck.lambda$main$1"));
    }
    assert!(
        jvm(jdk21).groups.iter().all(|g| !g.frames.is_empty()),
        "VM threads without frames form no group"
    );
}

#[test]
fn a_series_flags_what_stayed_on_the_same_lock_and_the_pools_that_stayed_exhausted() {
    let stuck = |frame: &str| thread("exec-1", "BLOCKED", &[frame, "Service.handle"], Some("0xa"), &[]);
    let holder = thread("exec-2", "RUNNABLE", &["Db.query", "Service.handle"], None, &["0xa"]);
    let moving = |frame: &str| thread("exec-3", "BLOCKED", &[frame], Some("0xb"), &[]);
    let idle = thread("other-1", "WAITING", &["LinkedBlockingQueue.take"], Some("0xq"), &[]);
    let busy = thread("other-2", "RUNNABLE", &["Work.run"], None, &[]);
    let dumps = vec![
        (1_000, vec![stuck("Cache.get"), holder.clone(), moving("A.a"), idle.clone(), busy.clone()]),
        (6_000, vec![stuck("Cache.get"), holder.clone(), moving("B.b"), busy.clone(), busy.clone()]),
        (11_000, vec![stuck("Cache.get"), holder, moving("C.c"), idle, busy]),
    ];
    let s = crate::series(&dumps, 5);
    let names: Vec<&str> = s.stuck.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["exec-1", "exec-2"], "same frame, same lock in all three; exec-3 moved");
    assert_eq!(s.stuck[0].waiting_on.as_deref(), Some("0xa"));
    assert_eq!(s.stuck[1].holds, ["0xa"]);
    let pools: Vec<&str> = s.exhausted_pools.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(pools, ["exec"], "`other` had an idle thread in two of the dumps");
    assert_eq!(s.dumps, [(1_000, 5), (6_000, 5), (11_000, 5)]);
    // One dump is no series: nothing is flagged as having stayed.
    assert!(crate::series(&dumps[..1], 5).stuck.is_empty());
}

#[test]
fn a_series_container_reads_back_and_names_a_bad_member() {
    let one = TakenDump { taken_ms: 5, text: include_str!("../fixtures/deadlock.jstack").to_string() };
    let text = serde_json::to_string(&DumpSeries::new(5, vec![one.clone(), one])).unwrap();
    let read = DumpSeries::read(&text).expect("a series");
    assert_eq!(read.parse().unwrap().len(), 2);
    assert!(DumpSeries::read(JSTACK).is_none(), "a single dump is no series");
    let bad = DumpSeries::new(5, vec![TakenDump { taken_ms: 1, text: "hello".into() }]);
    let err = bad.parse().unwrap_err();
    assert!(err.message.contains("dump 1"), "{err}");
}
