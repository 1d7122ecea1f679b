//! The names a run gives what it creates or addresses: a prefix unique to the run (its seed and
//! a nonce), under which the semantic suites create their resources, and the spellings of it
//! that generated requests with side effects carry, so they never touch someone else's resource.

/// The run's resource prefix, `imagespec-<seed>-<nonce>`.
pub(crate) fn prefix(seed: u64) -> String {
    format!("imagespec-{seed:x}-{}", nonce())
}

/// Names of this run for resources a request with side effects addresses, in the spellings
/// common naming rules accept (the first that a schema takes is used).
pub(crate) fn fresh_names(prefix: &str) -> Vec<String> {
    let base = format!("{prefix}-fz");
    let compact = base.replace('-', "");
    let tail = &compact[compact.len().saturating_sub(8)..];
    vec![
        base.clone(),
        base.replace('-', "_"),
        compact.clone(),
        format!("isfz{tail}"),
        base.to_uppercase().replace('-', "_"),
    ]
}

/// A short value unique to this run, so reruns never meet the resources of an earlier run that
/// the target is still deleting.
fn nonce() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}", (nanos as u64) & 0xff_ffff)
}
