//! The web app's build: wasm bundle (wasm-bindgen as a library), stylesheet and public
//! assets into target/site, then the hub binary.

use crate::install;
use crate::util::{cargo, root, run, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub const OUTPUT_NAME: &str = "switchboard";

pub struct Site {
    pub root: PathBuf,
    pub binary: PathBuf,
}

pub fn all(release: bool) -> Result<Site> {
    install::wasm_target()?;
    let site = root().join("target/site");
    let pkg = site.join("pkg");
    fs::create_dir_all(&pkg).map_err(|e| format!("creating {}: {e}", pkg.display()))?;

    let profile = if release { "wasm-release" } else { "dev" };
    let wasm_dir = if release { "wasm-release" } else { "debug" };
    let wasm =
        cargo(&["build", "-p", "frontend", "--lib", "--target", install::WASM_TARGET, "--profile", profile]);
    run(wasm, "building the browser bundle (frontend → wasm)")?;
    let input = root().join(format!("target/{}/{wasm_dir}/frontend.wasm", install::WASM_TARGET));
    bindgen(&input, &pkg, release)?;

    copy(&root().join("style/main.css"), &pkg.join(format!("{OUTPUT_NAME}.css")))?;
    copy_dir(&root().join("public"), &site)?;
    if release {
        precompress(&pkg)?;
    } else {
        remove_precompressed(&pkg);
    }

    let mut server =
        cargo(&["build", "-p", "server", "--bin", "switchboard", "-p", "demo", "--bin", "switchboard-demo"]);
    if release {
        server.arg("--release");
    }
    run(server, "building the hub and its demo fleet")?;
    let binary = root().join(format!("target/{}/switchboard", if release { "release" } else { "debug" }));
    Ok(Site { root: site, binary })
}

/// Generates the JS glue; skipped when the wasm did not change since the last run.
fn bindgen(input: &Path, pkg: &Path, release: bool) -> Result<()> {
    let stamp = pkg.join(".bindgen-input");
    let input_meta = fs::metadata(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let fingerprint = format!("{:?} {} {release}", input_meta.modified().ok(), input_meta.len());
    let out_js = pkg.join(format!("{OUTPUT_NAME}.js"));
    if out_js.exists() && fs::read_to_string(&stamp).is_ok_and(|s| s == fingerprint) {
        return Ok(());
    }
    eprintln!("xtask: generating the JS glue (wasm-bindgen 0.2.130)");
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(input)
        .out_name(OUTPUT_NAME)
        .web(true)
        .map_err(|e| e.to_string())?
        .typescript(false)
        .remove_name_section(release)
        .remove_producers_section(release)
        .generate(pkg)
        .map_err(|e| format!("wasm-bindgen: {e}"))?;
    fs::write(&stamp, fingerprint).map_err(|e| e.to_string())
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    fs::copy(from, to).map(|_| ()).map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    let entries = fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            fs::create_dir_all(&target).map_err(|e| e.to_string())?;
            copy_dir(&path, &target)?;
        } else {
            copy(&path, &target)?;
        }
    }
    Ok(())
}

/// Writes .br and .gz beside each asset; the hub serves them to browsers that accept them.
fn precompress(pkg: &Path) -> Result<()> {
    for entry in fs::read_dir(pkg).map_err(|e| e.to_string())?.flatten() {
        let path = entry.path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !matches!(ext, "js" | "wasm" | "css") {
            continue;
        }
        let data = fs::read(&path).map_err(|e| e.to_string())?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&data).map_err(|e| e.to_string())?;
        let gz = gz.finish().map_err(|e| e.to_string())?;
        write_beside(&path, "gz", &gz)?;
        let mut br = Vec::new();
        let params = brotli::enc::BrotliEncoderParams { quality: 11, ..Default::default() };
        brotli::BrotliCompress(&mut data.as_slice(), &mut br, &params).map_err(|e| e.to_string())?;
        write_beside(&path, "br", &br)?;
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        report_size(&name, data.len(), gz.len(), br.len());
    }
    Ok(())
}

/// The browser bundle's budget (issue 10): at most this many bytes gzipped.
const WASM_BUDGET_GZ: usize = 350 * 1024;

fn report_size(name: &str, raw: usize, gz: usize, br: usize) {
    let kib = |n: usize| n.div_ceil(1024);
    let budget = if name.ends_with(".wasm") {
        let verdict = if gz <= WASM_BUDGET_GZ { "within" } else { "OVER" };
        format!(" ({verdict} the {} KiB gzip budget)", kib(WASM_BUDGET_GZ))
    } else {
        String::new()
    };
    eprintln!("xtask: {name}: {} KiB, {} KiB gzip, {} KiB brotli{budget}", kib(raw), kib(gz), kib(br));
}

fn remove_precompressed(pkg: &Path) {
    for entry in fs::read_dir(pkg).into_iter().flatten().flatten() {
        let p = entry.path();
        if matches!(p.extension().and_then(|e| e.to_str()), Some("gz" | "br")) {
            let _ = fs::remove_file(p);
        }
    }
}

fn write_beside(path: &Path, ext: &str, data: &[u8]) -> Result<()> {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{ext}"));
    fs::write(PathBuf::from(name), data).map_err(|e| e.to_string())
}

/// The environment the hub needs to find its built site.
pub fn site_env(cmd: &mut std::process::Command, site: &Site, release: bool) {
    cmd.env("LEPTOS_OUTPUT_NAME", OUTPUT_NAME)
        .env("LEPTOS_SITE_ROOT", &site.root)
        .env("LEPTOS_SITE_PKG_DIR", "pkg")
        .env("LEPTOS_ENV", if release { "PROD" } else { "DEV" });
}

pub fn run_hub(site: &Site, release: bool, args: &[String]) -> Result<()> {
    let mut hub = std::process::Command::new(&site.binary);
    hub.args(args).current_dir(root());
    site_env(&mut hub, site, release);
    let started = SystemTime::now();
    let status = hub.status().map_err(|e| format!("starting {}: {e}", site.binary.display()))?;
    if status.success() {
        Ok(())
    } else {
        let ran = started.elapsed().map(|d| d.as_secs()).unwrap_or(0);
        Err(format!("the hub exited with {status} after {ran} s"))
    }
}
