//! Where a scenario's requests may go: a path on the target, joined onto its base URL and
//! never leaving its origin. The checker applies it to literal paths when a file loads; the
//! target layer applies it again to every rendered path before anything is sent.

/// Why a URL could not be built for the target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("path '{0}' must start with '/': a request names a path on the target, never a host or URL")]
    NotAPath(String),
    #[error(
        "path '{path}' would send the request to {to}, not the target {target}: paths are joined onto the target's base URL and may not change its scheme, host or port"
    )]
    LeavesTarget { path: String, to: String, target: String },
    #[error("base URL '{url}' {why}")]
    BadBase { url: String, why: String },
}

/// Checks a target's base URL: http or https, a host, no user info, query or fragment.
pub fn check_base_url(base: &str) -> Result<reqwest::Url, UrlError> {
    let bad = |why: &str| UrlError::BadBase { url: base.to_string(), why: why.to_string() };
    let url = reqwest::Url::parse(base).map_err(|e| bad(&format!("is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must be http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("names no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry user info (credentials come from environment variables)"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    Ok(url)
}

/// Checks a request path on its own (a literal path in a scenario, before any target is
/// known): it starts with one `/` and, joined onto any base, stays on that base's origin.
pub fn check_path(path: &str) -> Result<(), UrlError> {
    join_path("http://target.invalid", path).map(|_| ())
}

/// Joins `path` onto the target's `base` URL, refusing anything that would leave the
/// target's origin (scheme, host, port) or add user info: requests carrying the target's
/// credentials go to the target and nowhere else.
pub fn join_path(base: &str, path: &str) -> Result<reqwest::Url, UrlError> {
    let base_url = check_base_url(base)?;
    let mut chars = path.chars();
    if chars.next() != Some('/') || matches!(chars.next(), Some('/' | '\\')) {
        return Err(UrlError::NotAPath(path.to_string()));
    }
    let joined = format!("{}{path}", base.trim_end_matches('/'));
    let leaves = |to: String| UrlError::LeavesTarget { path: path.to_string(), to, target: origin(&base_url) };
    let url = reqwest::Url::parse(&joined).map_err(|e| leaves(format!("an invalid URL ({e})")))?;
    if url.scheme() != base_url.scheme()
        || url.host_str() != base_url.host_str()
        || url.port_or_known_default() != base_url.port_or_known_default()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(leaves(origin(&url)));
    }
    Ok(url)
}

fn origin(u: &reqwest::Url) -> String {
    let user = if u.username().is_empty() && u.password().is_none() { "" } else { "<user info>@" };
    match u.port() {
        Some(p) => format!("{}://{user}{}:{p}", u.scheme(), u.host_str().unwrap_or("")),
        None => format!("{}://{user}{}", u.scheme(), u.host_str().unwrap_or("")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_onto_the_base_and_never_leave_its_origin() {
        let base = "http://127.0.0.1:8080";
        assert_eq!(join_path(base, "/v2.0/user/me").unwrap().as_str(), "http://127.0.0.1:8080/v2.0/user/me");
        assert_eq!(
            join_path("https://gw.example/ob/", "/v2.0/x?a=http://other/").unwrap().as_str(),
            "https://gw.example/ob/v2.0/x?a=http://other/"
        );
        for bad in ["@127.0.0.1:28099/x", "//evil/x", "/\\evil/x", "http://other/", "x", "", ":28099/x", "\t//evil/x"] {
            assert!(join_path(base, bad).is_err(), "{bad:?}");
            assert!(check_path(bad).is_err(), "{bad:?}");
        }
        assert!(check_base_url("http://user:pw@host/").is_err());
        assert!(check_base_url("file:///etc/passwd").is_err());
    }
}
