//! Files the catalogue sends with a request (`{ $file: PATH }` markers, e.g. the terms of use
//! PDF): confined to the workspace, and never a new workspace's placeholder when the tenant is
//! a real one. And writing the files only their owner may read.

use std::path::{Component, Path, PathBuf};

use blueprint_catalogue::DesiredObject;
use serde_json::Value;

use crate::EngineError;

/// The terms-of-use file a new workspace gets, and its placeholder contents: a one-page
/// PDF that says to replace it. Detected by its digest, so a renamed copy is caught too.
pub const PLACEHOLDER_TERMS_FILE: &str = "acceptable-use-policy.pdf";
pub const PLACEHOLDER_TERMS_PDF: &str = "%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>> endobj\n4 0 obj <</Length 75>> stream\nBT /F1 16 Tf 60 780 Td (Acceptable Use Policy: replace with the agency's own) Tj ET\nendstream endobj\n5 0 obj <</Type/Font/Subtype/Type1/BaseFont/Helvetica>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n";

/// `relative` resolved inside the workspace `dir`: refused when it is absolute, climbs out with
/// `..`, or leads out through a symbolic link (the file, or a directory on the way).
pub fn confined(dir: &Path, relative: &str) -> Result<PathBuf, String> {
    let path = Path::new(relative);
    if relative.trim().is_empty() {
        return Err("the path is empty".into());
    }
    if path
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "{relative} is not inside the workspace: give a path relative to it, without `..`"
        ));
    }
    let joined = dir.join(path);
    // The longest part of the path that exists, with its links resolved, must stay inside.
    let root = dir
        .canonicalize()
        .map_err(|e| format!("the workspace {}: {e}", dir.display()))?;
    let mut existing = joined.as_path();
    while !existing.exists() {
        match existing.parent() {
            Some(parent) => existing = parent,
            None => break,
        }
    }
    let real = existing
        .canonicalize()
        .map_err(|e| format!("{}: {e}", existing.display()))?;
    if !real.starts_with(&root) {
        return Err(format!(
            "{relative} leads out of the workspace (to {}) through a symbolic link",
            real.display()
        ));
    }
    Ok(joined)
}

/// Writes `text` to `path` readable by its owner only (0600 where the platform has modes): a
/// private key, an approved plan (the tenant's configuration as observed). A file already
/// there is removed first and the new one created with that mode, so the text is never
/// readable by others, even for a moment, whatever mode the old file had. Synced before it
/// returns, so a rename that follows publishes a complete file.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let context = |e: std::io::Error| {
        std::io::Error::new(e.kind(), format!("writing {}: {e}", path.display()))
    };
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(context(e)),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(context)?;
    file.write_all(text.as_bytes()).map_err(context)?;
    file.sync_all().map_err(context)
}

/// Whether `graph_root` is Microsoft Graph in one of Microsoft's clouds (public, US
/// government, China): a real tenant, not an emulator.
pub fn is_microsoft_cloud(graph_root: &str) -> bool {
    let host = graph_root
        .split_once("://")
        .map_or(graph_root, |(_, rest)| rest)
        .split(['/', ':', '?'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    ["microsoft.com", "microsoft.us", "chinacloudapi.cn"]
        .iter()
        .any(|domain| host == *domain || host.ends_with(&format!(".{domain}")))
}

/// Every `$file` path in `value`.
fn file_markers<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    use blueprint_catalogue::node::{FILE_KEY, marker};
    if let Some(path) = marker(value, FILE_KEY) {
        out.push(path);
        return;
    }
    match value {
        Value::Object(map) => map.values().for_each(|v| file_markers(v, out)),
        Value::Array(items) => items.iter().for_each(|v| file_markers(v, out)),
        _ => {}
    }
}

/// The bytes of a file a `$file` marker names: one of the catalogue's own
/// (`builtin:RemoveBuiltInApps.ps1`) or a file inside the workspace `dir` ([`confined`]).
pub fn read_marked(dir: &Path, path: &str) -> Result<Vec<u8>, String> {
    if blueprint_catalogue::assets::is_builtin(path) {
        return blueprint_catalogue::assets::builtin(path)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| format!("{path} is not one of the catalogue's files"));
    }
    let full = confined(dir, path)?;
    std::fs::read(&full).map_err(|e| format!("reading {}: {e}", full.display()))
}

/// `value` with every `{"$file": path}` marker replaced by the file's contents, base64 (Graph's
/// Edm.Binary and the OMA-URI settings' base64 values alike).
pub fn inline_files(value: &Value, dir: &Path) -> Result<Value, String> {
    use base64::Engine;
    use blueprint_catalogue::node::{FILE_KEY, marker};
    Ok(match value {
        Value::Object(map) => {
            if let Some(path) = marker(value, FILE_KEY) {
                let bytes = read_marked(dir, path)?;
                return Ok(Value::String(
                    base64::engine::general_purpose::STANDARD.encode(bytes),
                ));
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), inline_files(v, dir)?)))
                    .collect::<Result<serde_json::Map<_, _>, String>>()?,
            )
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| inline_files(v, dir))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

/// The files the blueprint's *desired* fields name (a script's `scriptContent`, a WDAC policy's
/// OMA-URI value) put in place, base64, so they are compared with the tenant's like any other
/// field and a changed file is drift. (Create-only files, the terms of use PDF, stay markers
/// until the request is sent.) A feature whose file cannot be read does not render: it joins
/// `rendered.unrendered` with the reason, located at `profile` (name and text) where it names the
/// file, and the other features go ahead.
pub fn resolve_desired(
    dir: &Path,
    rendered: &mut blueprint_catalogue::Rendered,
    profile: (&str, &str),
) {
    use blueprint_catalogue::source::{Diagnostic, ErrorKind};
    let mut failed: Vec<String> = Vec::new();
    for object in &mut rendered.objects {
        let mut paths = Vec::new();
        file_markers(&object.desired, &mut paths);
        if paths.is_empty() {
            continue;
        }
        match inline_files(&object.desired, dir) {
            Ok(value) => object.desired = value,
            Err(why) => {
                let (name, text) = profile;
                let offset = paths
                    .iter()
                    .find_map(|p| text.find(&format!("\"{p}\"")))
                    .unwrap_or(0);
                let diagnostic = Diagnostic::in_text(
                        ErrorKind::InvalidParameter,
                        name,
                        text,
                        Some(offset..offset),
                        format!(
                            "feature `{}` sends the file {} in the {} `{}`: {why}",
                            object.feature,
                            paths.join(", "),
                            object.kind,
                            object.identity,
                        ),
                    )
                    .with_help("put the file in the workspace directory and name it, relative to the workspace, in the profile's [params]");
                rendered
                    .unrendered
                    .entry(object.feature.clone())
                    .or_default()
                    .push(diagnostic);
                failed.push(object.feature.clone());
            }
        }
    }
    rendered.objects.retain(|o| !failed.contains(&o.feature));
}

/// Refuses, before anything is sent, a deploy to Microsoft's cloud that would send the
/// placeholder terms of use: the agreement's file is set only when it is created, so the
/// placeholder would stay published to every user.
pub fn refuse_placeholder(
    dir: &Path,
    profile_text: Option<&str>,
    graph_root: &str,
    objects: &[&DesiredObject],
) -> Result<(), EngineError> {
    if !is_microsoft_cloud(graph_root) {
        return Ok(());
    }
    let placeholder = blueprint_store::digest_bytes(PLACEHOLDER_TERMS_PDF.as_bytes());
    for object in objects {
        let mut paths = Vec::new();
        for part in [Some(&object.desired), object.create_only.as_ref()]
            .into_iter()
            .flatten()
        {
            file_markers(part, &mut paths);
        }
        for relative in paths {
            let Ok(bytes) = std::fs::read(dir.join(relative)) else {
                continue;
            };
            if blueprint_store::digest_bytes(&bytes) != placeholder {
                continue;
            }
            let named = profile_text
                .and_then(|text| {
                    let offset = text.find("terms_of_use_pdf")?;
                    let (line, column) =
                        blueprint_catalogue::source::line_col_of_offset(text, offset);
                    Some(format!(
                        " (named by params.terms_of_use_pdf at {}:{line}:{column})",
                        dir.join(crate::workspace::PROFILE_FILE).display()
                    ))
                })
                .unwrap_or_default();
            return Err(EngineError::Usage(format!(
                "{} is the placeholder terms of use a new workspace is created with, and tenant objects in Microsoft's cloud would publish it to every user: feature {} sends it as the {} `{}`'s file{named}, which is set only when the agreement is created. Replace it with the agency's own Acceptable Use Policy PDF, or point terms_of_use_pdf at it; nothing was changed",
                dir.join(relative).display(),
                object.feature,
                object.kind,
                object.identity,
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_private_file_replaces_one_readable_by_all_with_only_the_new_text() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        std::fs::write(&path, "an older and longer text").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&path, "secret").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "secret");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let missing = dir.path().join("no-such-dir").join("key.pem");
        let error = write_private(&missing, "secret").unwrap_err().to_string();
        assert!(
            error.contains("writing") && error.contains("no-such-dir"),
            "{error}"
        );
    }

    #[test]
    fn microsofts_clouds_are_told_from_an_emulator() {
        for real in [
            "https://graph.microsoft.com/v1.0/",
            "https://GRAPH.microsoft.com",
            "https://graph.microsoft.us/v1.0/",
            "https://dod-graph.microsoft.us",
            "https://microsoftgraph.chinacloudapi.cn/v1.0/",
        ] {
            assert!(is_microsoft_cloud(real), "{real}");
        }
        for emulated in [
            "https://127.0.0.1:8443/v1.0/",
            "http://localhost:5000/v1.0/",
            "https://graph.microsoft.com.example.net/v1.0/",
            "https://notmicrosoft.com/v1.0/",
        ] {
            assert!(!is_microsoft_cloud(emulated), "{emulated}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_file_path_stays_inside_the_workspace() {
        let root = tempfile::tempdir().unwrap();
        let ws = root.path().join("ws");
        std::fs::create_dir_all(ws.join("terms")).unwrap();
        std::fs::write(ws.join("terms/aup.pdf"), "pdf").unwrap();
        std::fs::write(root.path().join("secret.txt"), "secret").unwrap();
        std::os::unix::fs::symlink(root.path(), ws.join("up")).unwrap();
        std::os::unix::fs::symlink(root.path().join("secret.txt"), ws.join("aup.pdf")).unwrap();
        assert_eq!(
            confined(&ws, "terms/aup.pdf").unwrap(),
            ws.join("terms/aup.pdf")
        );
        assert!(confined(&ws, "./not-yet-there.pdf").is_ok());
        for (path, why) in [
            ("/etc/passwd", "relative"),
            ("../secret.txt", "`..`"),
            ("terms/../../secret.txt", "`..`"),
            ("up/secret.txt", "symbolic link"),
            ("aup.pdf", "symbolic link"),
            ("up/not-yet-there.pdf", "symbolic link"),
            ("", "empty"),
        ] {
            let err = confined(&ws, path).unwrap_err();
            assert!(err.contains(why), "{path}: {err}");
        }
    }
}
