//! Command-line `--os-*` options as keystoneauth1 and openstackclient spell them.

use keystoneauth_core::{Error, Result};

/// Session flags that take no value.
const BOOL_FLAGS: &[&str] = &["--insecure", "--collect-timing", "--split-loggers"];
/// Session flags that take a value but do not start with `--os-`.
const VALUE_FLAGS: &[&str] = &["--timeout", "--api-timeout"];

/// `(flag, value)` pairs.
pub type Flags = Vec<(String, String)>;

/// The option key a flag names: `--os-user-domain-id` → `user_domain_id`,
/// `--os-application_credential_secret` → `application_credential_secret`, `--insecure` →
/// `insecure`, `os-cloud` → `cloud`.
pub fn flag_key(flag: &str) -> String {
    let f = flag.trim().trim_start_matches('-').to_ascii_lowercase();
    let f = f
        .strip_prefix("os-")
        .or_else(|| f.strip_prefix("os_"))
        .unwrap_or(&f);
    f.replace('-', "_")
}

/// Take the `--os-*` options (`--os-name value` or `--os-name=value`) and the session flags
/// (`--insecure`, `--timeout N`, `--collect-timing`, `--split-loggers`) out of `args`.
///
/// Flags listed in `keep` stay in the remaining arguments (for a caller's own parser), as does
/// everything after `--`. Returns `(flags, remaining)`.
///
/// ```
/// use keystoneauth_loading::args::extract_os_args;
/// let argv: Vec<String> = ["ksa", "--os-username", "u", "token", "issue", "--os-password=p",
///     "--insecure", "--os-cloud", "c"].iter().map(|s| s.to_string()).collect();
/// let (flags, rest) = extract_os_args(&argv, &["--os-cloud"]).unwrap();
/// assert_eq!(flags, vec![("--os-username".to_string(), "u".to_string()),
///     ("--os-password".into(), "p".into()), ("--insecure".into(), "true".into())]);
/// assert_eq!(rest, vec!["ksa", "token", "issue", "--os-cloud", "c"]);
/// ```
pub fn extract_os_args(args: &[String], keep: &[&str]) -> Result<(Flags, Vec<String>)> {
    let mut flags = Vec::new();
    let mut rest = Vec::new();
    let mut it = args.iter().peekable();
    while let Some(a) = it.next() {
        if a == "--" {
            rest.push(a.clone());
            rest.extend(it.by_ref().cloned());
            break;
        }
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_owned())),
            _ => (a.as_str(), None),
        };
        let is_os = name.starts_with("--os-") && name.len() > 5;
        let is_bool = BOOL_FLAGS.contains(&name);
        let is_value = VALUE_FLAGS.contains(&name);
        if !(is_os || is_bool || is_value) || keep.contains(&name) {
            rest.push(a.clone());
            // A kept flag's value stays with it.
            if keep.contains(&name) && inline.is_none() && !BOOL_FLAGS.contains(&name) {
                if let Some(v) = it.next_if(|v| !v.starts_with("--")) {
                    rest.push(v.clone());
                }
            }
            continue;
        }
        let value = if is_bool {
            inline.unwrap_or_else(|| "true".to_owned())
        } else {
            match inline {
                Some(v) => v,
                None => match it.next() {
                    Some(v) if !v.starts_with("--") || v.len() == 2 => v.clone(),
                    _ => return Err(Error::OptionError(format!("option {name} expects a value"))),
                },
            }
        };
        flags.push((name.to_owned(), value));
    }
    Ok((flags, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn keys() {
        assert_eq!(flag_key("--os-user-domain-id"), "user_domain_id");
        assert_eq!(
            flag_key("--os-application_credential_secret"),
            "application_credential_secret"
        );
        assert_eq!(flag_key("--insecure"), "insecure");
        assert_eq!(flag_key("os-cloud"), "cloud");
        assert_eq!(flag_key("OS_AUTH_TYPE"), "auth_type");
    }

    #[test]
    fn extracts() {
        let (f, r) = extract_os_args(
            &s(&[
                "x",
                "--timeout",
                "5",
                "--os-auth-url=http://a",
                "-f",
                "json",
                "--",
                "--os-x",
            ]),
            &[],
        )
        .unwrap();
        assert_eq!(
            f,
            vec![
                ("--timeout".to_string(), "5".to_string()),
                ("--os-auth-url".into(), "http://a".into())
            ]
        );
        assert_eq!(r, s(&["x", "-f", "json", "--", "--os-x"]));
        let e = extract_os_args(&s(&["--os-username"]), &[]).unwrap_err();
        assert!(e.to_string().contains("--os-username expects a value"));
        let e = extract_os_args(&s(&["--os-username", "--os-password", "p"]), &[]).unwrap_err();
        assert!(e.to_string().contains("expects a value"));
    }
}
