//! The built-in catalogue, embedded in the binary so every copy of the tool carries the same
//! blueprint (and its version) without reading files at run time.

use crate::catalogue::InputFile;

/// (display name, text) of each built-in catalogue file, in load order.
const FILES: &[(&str, &str)] = &[
    (
        "builtin:identity.yaml",
        include_str!("../catalogue/identity.yaml"),
    ),
    (
        "builtin:conditional-access.yaml",
        include_str!("../catalogue/conditional-access.yaml"),
    ),
    (
        "builtin:sharepoint.yaml",
        include_str!("../catalogue/sharepoint.yaml"),
    ),
    (
        "builtin:intune.yaml",
        include_str!("../catalogue/intune.yaml"),
    ),
    (
        "builtin:office-365.yaml",
        include_str!("../catalogue/office-365.yaml"),
    ),
    (
        "builtin:platform.yaml",
        include_str!("../catalogue/platform.yaml"),
    ),
];

const COVERAGE: (&str, &str) = (
    "builtin:coverage.yaml",
    include_str!("../catalogue/coverage.yaml"),
);

pub fn files() -> Vec<InputFile> {
    FILES.iter().map(|(n, t)| InputFile::new(*n, *t)).collect()
}

pub fn coverage() -> InputFile {
    InputFile::new(COVERAGE.0, COVERAGE.1)
}
