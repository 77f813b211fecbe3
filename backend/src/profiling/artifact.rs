//! Artifacts: what a capture or an upload must be before it is kept (a profile that decodes,
//! a thread dump this hub can read), and where it is kept.

use std::path::{Path, PathBuf};
use types::{ArtifactKind, CaptureKind};

/// Artifacts larger than this are refused.
pub const MAX_ARTIFACT: usize = 64 * 1024 * 1024;

/// Why bytes are not the artifact their kind says.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArtifactError {
    #[error("too large: {bytes} bytes, the limit is {MAX_ARTIFACT}")]
    TooLarge { bytes: usize },
    #[error("not a profile: a pprof file is gzipped protobuf")]
    NotGzip,
    #[error(transparent)]
    Profile(#[from] pprofile::ProfileError),
    #[error("not a thread dump: it is not text")]
    NotText,
    #[error("not a thread dump this hub can read (jstack, goroutine, fleet)")]
    UnknownDump,
    #[error("not a thread dump: {0}")]
    Dump(#[from] threaddump::DumpError),
}

/// Checks that the bytes are what the kind says, by decoding them: a gzipped pprof profile
/// that decodes whole, or a thread dump that parses.
pub fn validate(kind: CaptureKind, bytes: &[u8]) -> Result<(), ArtifactError> {
    if bytes.len() > MAX_ARTIFACT {
        return Err(ArtifactError::TooLarge { bytes: bytes.len() });
    }
    match kind.artifact() {
        ArtifactKind::Profile => {
            if !bytes.starts_with(&[0x1f, 0x8b]) {
                return Err(ArtifactError::NotGzip);
            }
            pprofile::parse(bytes)?;
            Ok(())
        }
        ArtifactKind::ThreadDump if kind == CaptureKind::ThreadsSeries => {
            let text = std::str::from_utf8(bytes).map_err(|_| ArtifactError::NotText)?;
            threaddump::DumpSeries::read(text).ok_or(ArtifactError::UnknownDump)?.parse()?;
            Ok(())
        }
        ArtifactKind::ThreadDump => {
            let text = std::str::from_utf8(bytes).map_err(|_| ArtifactError::NotText)?;
            let detected = threaddump::detect(text).ok_or(ArtifactError::UnknownDump)?;
            threaddump::parse(text, detected)?;
            Ok(())
        }
    }
}

/// Where the artifact of capture `id` is kept.
pub fn path_of(dir: &Path, id: i64, kind: CaptureKind) -> PathBuf {
    let ext = match kind.artifact() {
        ArtifactKind::Profile => "pb.gz",
        ArtifactKind::ThreadDump if kind == CaptureKind::ThreadsSeries => "json",
        ArtifactKind::ThreadDump => "txt",
    };
    dir.join(format!("capture-{id}.{ext}"))
}

/// Writes an artifact; returns its size and path.
pub async fn keep(
    dir: &Path,
    id: i64,
    kind: CaptureKind,
    body: &[u8],
) -> Result<(i64, String), std::io::Error> {
    let path = path_of(dir, id, kind);
    tokio::fs::create_dir_all(dir).await?;
    tokio::fs::write(&path, body).await?;
    Ok((i64::try_from(body.len()).unwrap_or(i64::MAX), path.display().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(bytes).expect("gzip");
        gz.finish().expect("gzip")
    }

    #[test]
    fn gzipped_bytes_that_are_not_a_profile_are_refused_with_the_decoders_reason() {
        let err = validate(CaptureKind::Pprof, &gzip(b"this is not a protobuf at all")).expect_err("refused");
        assert!(matches!(err, ArtifactError::Profile(_)), "{err}");
        assert!(err.to_string().contains("damaged") || err.to_string().contains("not a profile"), "{err}");
        assert_eq!(validate(CaptureKind::Heap, b"plain"), Err(ArtifactError::NotGzip));
        assert_eq!(validate(CaptureKind::Jstack, &[0xff, 0xfe]), Err(ArtifactError::NotText));
        assert_eq!(validate(CaptureKind::Goroutine, b"hello"), Err(ArtifactError::UnknownDump));
    }
}
