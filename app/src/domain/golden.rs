//! Golden files for the domain's document tests: `golden/<name>.yaml` beside the test module.
//! `GEMSCOPE_UPDATE_GOLDEN=1 cargo test -p app` rewrites them; review the diff.

/// Compares `got` with `<dir>/golden/<name>.yaml` (`dir` relative to the crate).
pub fn check(dir: &str, name: &str, got: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(dir)
        .join("golden")
        .join(format!("{name}.yaml"));
    if std::env::var_os("GEMSCOPE_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (GEMSCOPE_UPDATE_GOLDEN=1 writes it)",
            path.display()
        )
    });
    assert_eq!(got, want, "{name} differs from {}", path.display());
}
