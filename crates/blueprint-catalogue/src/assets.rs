//! Files the built-in catalogue ships, for `$file` markers that name them: a profile parameter
//! that names a file defaults to one of these (`builtin:RemoveBuiltInApps.ps1`) until the agency
//! points it at its own copy in the workspace. Embedded in the binary like the catalogue itself.

/// The prefix of a built-in asset's name, as `$file` markers and parameters write it.
pub const PREFIX: &str = "builtin:";

/// The script the `intune-remove-built-in-apps` feature deploys unless the agency names its own.
pub const REMOVE_BUILT_IN_APPS: &str = "builtin:RemoveBuiltInApps.ps1";

const ASSETS: &[(&str, &[u8])] = &[(
    REMOVE_BUILT_IN_APPS,
    include_bytes!("../assets/RemoveBuiltInApps.ps1"),
)];

/// Whether `path` names a built-in asset (`builtin:…`) rather than a file in the workspace.
pub fn is_builtin(path: &str) -> bool {
    path.starts_with(PREFIX)
}

/// The contents of the built-in asset `name` (`builtin:RemoveBuiltInApps.ps1`).
pub fn builtin(name: &str) -> Option<&'static [u8]> {
    ASSETS.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

/// The names of every built-in asset.
pub fn names() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remove_built_in_apps_script_is_built_in() {
        let script = std::str::from_utf8(builtin(REMOVE_BUILT_IN_APPS).unwrap()).unwrap();
        assert!(script.contains("Remove-AppxProvisionedPackage"));
        assert!(
            script.contains("Microsoft.WindowsStore"),
            "the blueprint keeps the Store"
        );
        assert!(is_builtin(REMOVE_BUILT_IN_APPS));
        assert!(!is_builtin("scripts/RemoveBuiltInApps.ps1"));
        assert_eq!(builtin("builtin:nothing.ps1"), None);
        assert_eq!(names().count(), 1);
    }
}
