//! pprof-compatible profiling endpoints: a real CPU profile of this process (pprof-rs,
//! sampling at 99 Hz) and a real heap profile (jemalloc's sampling profiler).

use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use pprof::protos::Message;
use serde::Deserialize;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static CPU_PROFILE_RUNNING: AtomicBool = AtomicBool::new(false);

#[derive(Deserialize)]
pub struct ProfileQuery {
    seconds: Option<u64>,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, message.into()).into_response()
}

fn pprof_response(body: Vec<u8>, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.pb.gz\"")),
        ],
        Bytes::from(body),
    )
        .into_response()
}

/// `GET /debug/pprof/profile?seconds=N` (1–120, default 30), like Go's net/http/pprof.
pub async fn cpu(Query(q): Query<ProfileQuery>) -> Response {
    let seconds = q.seconds.unwrap_or(30);
    if !(1..=120).contains(&seconds) {
        return error(StatusCode::BAD_REQUEST, "seconds must be between 1 and 120");
    }
    if CPU_PROFILE_RUNNING.swap(true, Ordering::SeqCst) {
        return error(StatusCode::CONFLICT, "a CPU profile is already being taken");
    }
    let result = take_cpu_profile(seconds).await;
    CPU_PROFILE_RUNNING.store(false, Ordering::SeqCst);
    match result {
        Ok(body) => pprof_response(body, "cpu"),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("CPU profile failed: {e}")),
    }
}

async fn take_cpu_profile(seconds: u64) -> Result<Vec<u8>, String> {
    let guard = pprof::ProfilerGuardBuilder::default()
        .frequency(99)
        .blocklist(&["libc", "libgcc", "pthread", "vdso"])
        .build()
        .map_err(|e| e.to_string())?;
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let report = guard.report().build().map_err(|e| e.to_string())?;
    drop(guard);
    let mut profile = report.pprof().map_err(|e| e.to_string())?;
    strip_profiler_frames(&mut profile);
    gzip(&profile.encode_to_vec())
}

/// pprof-rs records its own signal handler (and the unwinder it calls) as the innermost
/// frames of every sample; they are the profiler's work, not the program's, and would top
/// every profile. Each sample starts at the first frame that is not the profiler's.
fn strip_profiler_frames(profile: &mut pprof::protos::Profile) {
    let profiler_locations: std::collections::HashSet<u64> = profile
        .location
        .iter()
        .filter(|loc| {
            loc.line.iter().any(|line| {
                let name = profile
                    .function
                    .iter()
                    .find(|f| f.id == line.function_id)
                    .and_then(|f| profile.string_table.get(usize::try_from(f.name).unwrap_or(0)))
                    .map_or("", String::as_str);
                is_profiler_frame(name)
            })
        })
        .map(|loc| loc.id)
        .collect();
    for sample in &mut profile.sample {
        let own = sample.location_id.iter().take_while(|id| profiler_locations.contains(id)).count();
        // Keep at least one frame, so no sample is left without a stack.
        sample.location_id.drain(..own.min(sample.location_id.len().saturating_sub(1)));
    }
}

fn is_profiler_frame(name: &str) -> bool {
    ["backtrace::", "pprof::", "<pprof::", "__restore_rt", "_ZN9backtrace", "_ZN5pprof"]
        .iter()
        .any(|p| name.starts_with(p))
        || name.contains("perf_signal_handler")
}

/// `GET /debug/pprof/heap`: what is allocated now (inuse_space), sampled by jemalloc.
pub async fn heap() -> Response {
    let Some(ctl) = jemalloc_pprof::PROF_CTL.as_ref() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "heap profiling is off: start the process with _RJEM_MALLOC_CONF=prof:true (the fleet does)",
        );
    };
    let mut ctl = ctl.lock().await;
    if !ctl.activated() {
        return error(StatusCode::SERVICE_UNAVAILABLE, "heap profiling is not active in this process");
    }
    match ctl.dump_pprof().map_err(|e| e.to_string()).and_then(|gz| strip_allocator_frames(&gz)) {
        Ok(body) => pprof_response(body, "heap"),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("heap profile failed: {e}")),
    }
}

/// Every jemalloc sample starts inside the allocator (jemalloc's own backtrace, malloc,
/// Rust's allocation shims, `alloc::`/`core::` wrappers): that code allocates nothing of its
/// own accord and would top every heap profile. As Go's heap profiles start at the caller
/// of the allocator, each sample starts at the first frame of the program's own code.
fn strip_allocator_frames(gz: &[u8]) -> Result<Vec<u8>, String> {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(gz).read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let mut profile = pprof::protos::Profile::decode(raw.as_slice()).map_err(|e| e.to_string())?;
    let name_of = |function_id: u64| {
        profile
            .function
            .iter()
            .find(|f| f.id == function_id)
            .and_then(|f| profile.string_table.get(usize::try_from(f.name).unwrap_or(0)))
            .map_or("", String::as_str)
    };
    let allocator: std::collections::HashSet<u64> = profile
        .location
        .iter()
        .filter(|loc| {
            !loc.line.is_empty() && loc.line.iter().all(|l| is_allocator_frame(name_of(l.function_id)))
        })
        .map(|loc| loc.id)
        .collect();
    for sample in &mut profile.sample {
        let own = sample.location_id.iter().take_while(|id| allocator.contains(id)).count();
        sample.location_id.drain(..own.min(sample.location_id.len().saturating_sub(1)));
    }
    gzip(&profile.encode_to_vec())
}

fn is_allocator_frame(name: &str) -> bool {
    // `<u8 as alloc::vec::spec_from_elem::SpecFromElem>::from_elem` is the trait's code.
    let name = name.strip_prefix('<').map_or(name, |rest| rest.split_once(" as ").map_or(rest, |(_, t)| t));
    // C symbols of jemalloc and libc (no Rust path), and Rust's allocation entry points.
    !name.contains("::")
        || ["alloc::", "core::", "std::alloc::", "tikv_jemallocator::", "__rustc::", "hashbrown::raw::"]
            .iter()
            .any(|p| name.starts_with(p))
}

fn gzip(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).map_err(|e| e.to_string())?;
    gz.finish().map_err(|e| e.to_string())
}
