//! Embeds the git commit the binary is built from (`OBH_GIT_COMMIT`) for evidence bundles.
//! Outside a git checkout (a source tarball, a container build without `.git`) it is
//! "unknown", unless the builder sets `OBH_GIT_COMMIT` in the environment; a build never fails
//! for want of git.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=OBH_GIT_COMMIT");
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let commit = std::env::var("OBH_GIT_COMMIT")
        .ok()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .or_else(|| git_commit(&dir))
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=OBH_GIT_COMMIT={commit}");
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).current_dir(dir).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// The commit of HEAD, and the files whose change means HEAD moved (so cargo re-runs this
/// script on a commit or checkout, and only then).
fn git_commit(dir: &Path) -> Option<String> {
    let commit = git(dir, &["rev-parse", "--verify", "HEAD"])?;
    let watch = |p: PathBuf| {
        let p = if p.is_absolute() { p } else { dir.join(p) };
        // A path that does not exist would make cargo re-run the script on every build.
        if p.exists() {
            println!("cargo:rerun-if-changed={}", p.display());
        }
    };
    if let Some(git_dir) = git(dir, &["rev-parse", "--git-dir"]) {
        let git_dir = PathBuf::from(git_dir);
        watch(git_dir.join("HEAD"));
        // Appended on every commit and checkout, even when the branch lives in packed-refs.
        watch(git_dir.join("logs").join("HEAD"));
    }
    if let Some(common) = git(dir, &["rev-parse", "--git-common-dir"]) {
        let common = PathBuf::from(common);
        watch(common.join("packed-refs"));
        if let Some(head_ref) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
            watch(common.join(head_ref));
        }
    }
    Some(commit)
}
