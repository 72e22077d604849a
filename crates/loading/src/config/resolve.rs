//! From the layers to a [`CloudConfig`]: the auth type, the plugin's options, the session
//! and adapter settings, with openstacksdk's expansions (`{name}`, `~`) and shorthands.

use std::collections::BTreeMap;

use keystoneauth_core::registry::{self, Opt, OptionValues, PluginLoader};
use keystoneauth_core::{Error, Result};

use super::layers::{build_layers, opt_names, Built, Layers, GENERAL_KEYS};
use super::services::{service_suffix, ServiceOptions};
use super::{CloudConfig, LoadOptions, LoadReport, Source, ValueSource, DEFAULT_AUTH_TYPE};
use crate::adapter_opts::{parse_interfaces, AdapterOptions};
use crate::clouds::norm_key;
use crate::session_opts::SessionOptions;

/// The auth type when none is given, as osc-lib documents its choice: a token (and no user
/// or password) selects the token plugin of the identity API version (`v3token` for 3,
/// `v2token` for 2.x, else the discovering `token`); anything else is
/// [`DEFAULT_AUTH_TYPE`].
fn guess_auth_type(layers: &Layers) -> String {
    let user = ["username", "user_name", "user_id", "password"];
    if layers.any(&["token"]) && !layers.any(&user) {
        let version = layers
            .general(&["identity_api_version"])
            .unwrap_or_default();
        return if version == "3" {
            "v3token"
        } else if version.starts_with('2') {
            "v2token"
        } else {
            "token"
        }
        .to_owned();
    }
    DEFAULT_AUTH_TYPE.to_owned()
}

/// openstacksdk's spellings of "no auth" and of the admin token plugin.
fn normalize_auth_type(t: &str) -> String {
    match t.trim() {
        "None" | "none" | "NONE" => "none".to_owned(),
        "token_endpoint" => "admin_token".to_owned(),
        other => other.to_owned(),
    }
}

/// The options a loader has, plus (for `v3multifactor`) the options of each auth method named
/// in `auth_methods`, deduplicated by destination.
fn collect_opts(loader: &PluginLoader, layers: &Layers) -> Result<Vec<Opt>> {
    let mut opts = loader.opts();
    if let Some(m) = opts.iter().find(|o| o.dest() == "auth_methods").cloned() {
        if let Some((methods, _, _)) = layers.plugin_opt(&m) {
            let list = OptionValues::new()
                .with("m", methods)
                .get_list("m")
                .unwrap_or_default();
            for name in list {
                let sub = registry::loader(&name)?;
                for o in sub.opts() {
                    if !opts.iter().any(|x| x.dest() == o.dest()) {
                        opts.push(o);
                    }
                }
            }
        }
    }
    Ok(opts)
}

impl CloudConfig {
    pub(super) fn from_layers(opts: &LoadOptions, built: Built) -> Result<CloudConfig> {
        let Built {
            mut layers,
            cloud: cloud_name,
            cloud_from,
            clouds,
            flag_names,
            home,
            profile,
        } = built;
        let mut report = LoadReport {
            files: clouds.searched.clone(),
            ..LoadReport::default()
        };
        if let Some(from) = cloud_from {
            report.sources.insert("cloud".into(), from);
        }
        if let Some(from) = layers
            .cloud
            .from
            .get("profile")
            .filter(|_| profile.is_some())
        {
            report.sources.insert("profile".into(), from.clone());
        }

        let (auth_type, auth_type_from) = layers
            .options
            .get("auth_type")
            .or_else(|| opts.auth_type.clone().map(|t| (t, ValueSource::Options)))
            .or_else(|| {
                [&layers.flags, &layers.env, &layers.cloud]
                    .into_iter()
                    .find_map(|l| l.get("auth_type").or_else(|| l.get("auth_plugin")))
            })
            .map(|(t, from)| (normalize_auth_type(&t), from))
            .unwrap_or_else(|| (guess_auth_type(&layers), ValueSource::Default));
        report.sources.insert("auth_type".into(), auth_type_from);
        if auth_type.starts_with("v2") {
            layers.project_as_tenant();
        }
        let loader = registry::loader(&auth_type)?;
        let plugin_opts = collect_opts(loader, &layers)?;

        // Flags must name an option of this plugin or a general setting.
        for key in layers.flags.map.keys() {
            let known = GENERAL_KEYS.contains(&key.as_str())
                || service_suffix(key).is_some()
                || plugin_opts
                    .iter()
                    .any(|o| opt_names(o).contains(key) || norm_key(&o.dest()) == *key);
            if !known {
                let flag = flag_names.get(key).cloned().unwrap_or_else(|| key.clone());
                let mut names: Vec<String> = plugin_opts
                    .iter()
                    .map(|o| format!("--os-{}", o.name))
                    .collect();
                names.sort();
                return Err(Error::OptionError(format!(
                    "unknown option {flag} for auth type {auth_type}; its options are: {}",
                    names.join(", ")
                )));
            }
        }

        let mut auth = OptionValues::new();
        let mut auth_sources = BTreeMap::new();
        let mut auth_from = BTreeMap::new();
        for o in &plugin_opts {
            if let Some((v, src, from)) = layers.plugin_opt(o) {
                auth.set(&o.dest(), v);
                auth_sources.insert(o.dest(), src);
                auth_from.insert(o.dest(), from);
            }
        }
        for (from, to) in handle_domain_id(&mut auth, &plugin_opts) {
            if let Some(to) = to {
                if let Some(s) = auth_sources.get(from).copied() {
                    auth_sources.insert(to.to_owned(), s);
                }
                if let Some(s) = auth_from.get(from).cloned() {
                    auth_from.insert(to.to_owned(), s);
                }
            } else {
                auth_sources.remove(from);
                auth_from.remove(from);
            }
        }
        let mut used: Vec<String> = plugin_opts
            .iter()
            .flat_map(|o| {
                let mut names = opt_names(o);
                names.push(norm_key(&o.dest()));
                names
            })
            .collect();
        if auth_type.starts_with("v2") {
            used.extend(["project_id".to_owned(), "project_name".to_owned()]);
        }
        for (key, value, from) in layers.unused_auth(&used) {
            report.sources.insert(format!("auth.{key}"), from);
            report.unused_auth.insert(key, value);
        }
        // `{region_name}` and other settings in the auth URL (citycloud's profile).
        let lookup = |name: &str| layers.general(&[name]);
        if let Some(url) = auth.get("auth_url") {
            auth.set("auth_url", expand_braces("auth_url", &url, &lookup)?);
        }

        // Required options (prompted ones aside) first, so nobody is asked for a password
        // when the auth URL is missing anyway.
        let missing: Vec<_> = plugin_opts
            .iter()
            .filter(|o| o.required && o.default.is_none() && !auth.contains(&o.dest()))
            .filter(|o| o.prompt.is_none() || opts.prompt.is_none())
            .map(|o| {
                keystoneauth_core::error::MissingOption::new(
                    o.name.to_owned(),
                    o.env_vars().remove(0),
                )
            })
            .collect();
        if !missing.is_empty() {
            if !opts.inspect {
                return Err(Error::MissingRequiredOptions(missing));
            }
            report.missing = missing;
        }
        if let Some(prompt) = &opts.prompt {
            for o in plugin_opts.iter().filter(|o| o.prompt.is_some()) {
                if !auth.contains(&o.dest()) {
                    if let Some(v) = prompt(o)? {
                        auth.set(&o.dest(), v);
                        auth_sources.insert(o.dest(), Source::Prompt);
                        auth_from.insert(o.dest(), ValueSource::Prompt);
                    }
                }
            }
        }

        // Session and adapter settings.
        let (general, general_from) = general_values(&layers, home.as_deref())?;
        // The cloud and the auth type have their own entries.
        for (k, from) in general_from {
            if ["cloud", "auth_type", "auth_plugin"].contains(&k.as_str()) {
                continue;
            }
            if let Some(v) = general.get(&k) {
                // The token store's key is a secret, and its URL may hold a password.
                let v = match k.as_str() {
                    "token_store_key" => "***".to_owned(),
                    "token_store" => keystoneauth_core::redact::mask_userinfo(&v),
                    _ => v,
                };
                report.settings.insert(k.clone(), v);
            }
            report.sources.insert(k, from);
        }
        for (dest, from) in auth_from {
            report.sources.insert(format!("auth.{dest}"), from);
        }
        let session = SessionOptions::from_values(&general)?;
        let interfaces = match (
            general.get_list("valid_interfaces"),
            general.get_list("interface"),
        ) {
            (Some(l), _) | (None, Some(l)) => parse_interfaces(&l)?,
            (None, None) => Vec::new(),
        };
        let adapter_defaults = AdapterOptions::from_values(
            &OptionValues::new()
                .with(
                    "connect_retries",
                    general.get("connect_retries").unwrap_or_default(),
                )
                .with(
                    "status_code_retries",
                    general.get("status_code_retries").unwrap_or_default(),
                ),
        )?;
        let mut services: BTreeMap<String, ServiceOptions> = BTreeMap::new();
        for l in [&layers.cloud, &layers.env, &layers.flags, &layers.options] {
            for (k, v) in &l.map {
                if let Some((svc, suffix)) = service_suffix(k) {
                    let svc = svc.replace('_', "-");
                    if let Some(from) = l.from.get(k) {
                        let setting = suffix.trim_start_matches('_');
                        report
                            .sources
                            .insert(format!("{svc}.{setting}"), from.clone());
                    }
                    services
                        .entry(svc)
                        .or_default()
                        .set(suffix, expand_braces(k, v, &lookup)?);
                }
            }
        }

        Ok(CloudConfig {
            cloud: cloud_name,
            auth_type,
            auth,
            auth_sources,
            region_name: general.get("region_name"),
            interfaces,
            identity_api_version: general.get("identity_api_version"),
            session,
            adapter_request: adapter_defaults.request,
            services,
            config_file: clouds.path,
            secure_file: clouds.secure_path,
            public_file: clouds.public_path,
            profile,
            report,
            token_store: general.get("token_store").filter(|s| !s.is_empty()),
            token_store_key: general
                .get("token_store_key")
                .filter(|s| !s.is_empty())
                .map(secrecy::SecretString::from),
        })
    }
}

/// The session options alone (no plugin is loaded and flags are not checked): for
/// unauthenticated requests such as version discovery.
pub fn load_session_options(opts: &LoadOptions) -> Result<SessionOptions> {
    let built = build_layers(opts)?;
    let origin = built.origin();
    general_values(&built.layers, built.home.as_deref())
        .and_then(|(g, _)| SessionOptions::from_values(&g))
        .map_err(|e| match &origin {
            Some(o) => o.wrap(e),
            None => e,
        })
}

/// The general settings (options > flags > env > cloud), with `{name}` references expanded
/// and `~` in the CA bundle, certificate and key file names read as `home`, as openstacksdk
/// does; and where each came from.
fn general_values(
    layers: &Layers,
    home: Option<&str>,
) -> Result<(OptionValues, BTreeMap<String, ValueSource>)> {
    let lookup = |name: &str| layers.general(&[name]);
    let mut general = OptionValues::new();
    let mut sources = BTreeMap::new();
    for k in GENERAL_KEYS {
        if let Some((v, from)) = layers.general_from(&[k]) {
            sources.insert((*k).to_owned(), from);
            let mut v = expand_braces(k, &v, &lookup)?;
            if matches!(
                *k,
                "cacert" | "cafile" | "cert" | "certfile" | "key" | "keyfile"
            ) {
                v = expand_home(&v, home);
            }
            general.set(k, v);
        }
    }
    Ok((general, sources))
}

/// `~` and `~/…` with `home` for `~` (Python's `os.path.expanduser`; `~user` is kept).
fn expand_home(path: &str, home: Option<&str>) -> String {
    match (path.strip_prefix('~'), home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            format!("{}{rest}", home.trim_end_matches('/'))
        }
        _ => path.to_owned(),
    }
}

/// `{name}` replaced by the setting `name`, `{{` and `}}` by `{` and `}` (Python's
/// `str.format(**config)`, which openstacksdk applies to the auth URL and to the cloud's other
/// settings, e.g. `https://{region_name}.citycloud.com:5000/v3/`). A name that is not a
/// setting, or a lone brace, is `Error::Config` naming `key`.
fn expand_braces(key: &str, text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String> {
    if !text.contains(['{', '}']) {
        return Ok(text.to_owned());
    }
    let bad = |why: String| Error::Config(format!("cannot expand {key}: {why}"));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
        } else if tail.starts_with('}') {
            return Err(bad("a single '}' (write '}}' for a brace)".into()));
        } else {
            let Some(end) = tail.find('}') else {
                return Err(bad(
                    "a '{' that is not closed (write '{{' for a brace)".into()
                ));
            };
            let name = &tail[1..end];
            match lookup(name) {
                Some(v) => out.push_str(&v),
                None => {
                    return Err(bad(format!("{{{name}}} names no setting of the cloud")));
                }
            }
            rest = &tail[end + 1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// openstacksdk's `domain_id` / `domain_name` shorthand: with a project scope they are the
/// default of the user's and the project's domain, not a domain scope. Returns what it did,
/// in order: `(from, Some(to))` for a value copied, `(from, None)` for one removed.
fn handle_domain_id(
    auth: &mut OptionValues,
    opts: &[Opt],
) -> Vec<(&'static str, Option<&'static str>)> {
    let has = |d: &str| opts.iter().any(|o| o.dest() == d);
    let project_scoped = auth.contains("project_id") || auth.contains("project_name");
    let mut done = Vec::new();
    if !project_scoped {
        return done;
    }
    for (target, targets) in [
        ("domain_id", ["user_domain_id", "project_domain_id"]),
        ("domain_name", ["user_domain_name", "project_domain_name"]),
    ] {
        if let Some(v) = auth.get(target) {
            for t in targets {
                if has(t) && !auth.contains(t) {
                    auth.set(t, v.clone());
                    done.push((target, Some(t)));
                }
            }
            auth.remove(target);
            done.push((target, None));
        }
    }
    done
}
