//! Evidence uploaded with an attestation: size-limited, of a few document types whose bytes
//! must match the type claimed (a page cannot be slipped in as a "text file"), kept under its
//! SHA-256 beside the engagement's state, and served back only as a download.

use std::path::{Path, PathBuf};

use blueprint_engine::engagement::Evidence;

/// The largest evidence file accepted.
pub const MAX_UPLOAD: usize = 5 * 1024 * 1024;

/// The document types accepted.
pub const ACCEPTED: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/plain",
    "text/csv",
    "application/json",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EvidenceError {
    #[error("no evidence file was attached")]
    Missing,
    #[error("the evidence file is {size} bytes; the limit is {MAX_UPLOAD}")]
    TooLarge { size: usize },
    #[error(
        "evidence of type `{0}` is not accepted; attach a PDF, PNG, JPEG, text, CSV or JSON file"
    )]
    Type(String),
    #[error("the file's content is not a {0}")]
    Mismatch(String),
    #[error("the file looks like a web page; attach the document itself (PDF, image or text)")]
    Markup,
    #[error("the evidence could not be stored: {0}")]
    Io(String),
}

/// An uploaded file that passed the checks.
#[derive(Debug)]
pub struct Upload {
    pub evidence: Evidence,
    pub bytes: Vec<u8>,
}

/// Checks an upload: its size, its declared type among [`ACCEPTED`], and its bytes against
/// that type.
pub fn check(file_name: &str, content_type: &str, bytes: Vec<u8>) -> Result<Upload, EvidenceError> {
    if bytes.is_empty() {
        return Err(EvidenceError::Missing);
    }
    if bytes.len() > MAX_UPLOAD {
        return Err(EvidenceError::TooLarge { size: bytes.len() });
    }
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !ACCEPTED.contains(&media.as_str()) {
        return Err(EvidenceError::Type(media));
    }
    let matches = match media.as_str() {
        "application/pdf" => bytes.starts_with(b"%PDF-"),
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        _ => std::str::from_utf8(&bytes).is_ok(),
    };
    if !matches {
        return Err(EvidenceError::Mismatch(media));
    }
    if looks_like_markup(&bytes) {
        return Err(EvidenceError::Markup);
    }
    Ok(Upload {
        evidence: Evidence::from_upload(file_name, &bytes),
        bytes,
    })
}

/// Whether the start of the file is what a browser would sniff as HTML or SVG.
fn looks_like_markup(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    [
        "<!doctype",
        "<html",
        "<script",
        "<svg",
        "<iframe",
        "<body",
        "<?xml",
    ]
    .iter()
    .any(|tag| text.contains(tag))
}

/// The hex part of a `sha256:` digest, if it is one.
pub fn digest_hex(digest: &str) -> Option<&str> {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    (hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
    .then_some(hex)
}

/// Where an evidence file with `digest` is kept in `dir`.
pub fn path(dir: &Path, digest: &str) -> Option<PathBuf> {
    digest_hex(digest).map(|hex| dir.join(hex))
}

/// Keeps the upload under its digest (the same bytes twice are one file).
pub fn store(dir: &Path, upload: &Upload) -> Result<(), EvidenceError> {
    let path = path(dir, &upload.evidence.digest)
        .ok_or_else(|| EvidenceError::Io("the digest is not a SHA-256".into()))?;
    std::fs::create_dir_all(dir).map_err(|e| EvidenceError::Io(e.to_string()))?;
    if !path.exists() {
        let partial = path.with_extension("partial");
        std::fs::write(&partial, &upload.bytes).map_err(|e| EvidenceError::Io(e.to_string()))?;
        std::fs::rename(&partial, &path).map_err(|e| EvidenceError::Io(e.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_documents_whose_bytes_match_their_type_are_accepted() {
        let ok = check("a.pdf", "application/pdf", b"%PDF-1.7 ...".to_vec()).unwrap();
        assert!(ok.evidence.digest.starts_with("sha256:"));
        assert_eq!(ok.evidence.name, "a.pdf");
        assert_eq!(
            check("../../x.txt", "text/plain", b"done".to_vec())
                .unwrap()
                .evidence
                .name,
            "x.txt"
        );
        assert_eq!(
            check("a.pdf", "application/pdf", b"not a pdf".to_vec()).unwrap_err(),
            EvidenceError::Mismatch("application/pdf".into())
        );
        assert_eq!(
            check("a.html", "text/html", b"<p>hi</p>".to_vec()).unwrap_err(),
            EvidenceError::Type("text/html".into())
        );
        assert_eq!(
            check(
                "a.txt",
                "text/plain",
                b"<!DOCTYPE html><script>x</script>".to_vec()
            )
            .unwrap_err(),
            EvidenceError::Markup
        );
        assert_eq!(
            check("a.txt", "text/plain", vec![b'a'; MAX_UPLOAD + 1]).unwrap_err(),
            EvidenceError::TooLarge {
                size: MAX_UPLOAD + 1
            }
        );
        assert_eq!(
            check("a.txt", "text/plain", Vec::new()).unwrap_err(),
            EvidenceError::Missing
        );
    }

    #[test]
    fn a_digest_names_a_file_only_when_it_is_a_sha256() {
        let hex = "a".repeat(64);
        assert_eq!(digest_hex(&format!("sha256:{hex}")), Some(hex.as_str()));
        assert_eq!(digest_hex("sha256:../../etc/passwd"), None);
        assert_eq!(digest_hex(&"A".repeat(64)), None);
    }
}
