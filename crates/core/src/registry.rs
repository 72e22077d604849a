//! The plugin registry: every plugin crate registers a [`PluginLoader`] under its keystoneauth1
//! name (`v3password`, `v3oidcdeviceauthz`, …) with its options, using `inventory`.
//!
//! ```
//! use keystoneauth_core::registry::{self, Opt};
//! let auth_url = Opt::new("auth-url", "Authentication URL").required();
//! assert_eq!(auth_url.dest(), "auth_url");
//! assert_eq!(auth_url.env_vars(), vec!["OS_AUTH_URL"]);
//! assert_eq!(auth_url.cli_flags(), vec!["--os-auth-url"]);
//! // Names registered by the crates linked into this program:
//! let _names: Vec<&str> = registry::names();
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use secrecy::SecretString;

use crate::error::{Error, MissingOption, Result};
use crate::plugin::AuthPlugin;

/// The type of an option's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OptKind {
    /// Text.
    Str,
    /// Integer.
    Int,
    /// Float.
    Float,
    /// Boolean.
    Bool,
    /// Comma-separated list.
    List,
}

/// One option of a plugin, with keystoneauth1's naming rules.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Opt {
    /// Name with dashes (`user-domain-id`); some keep underscores as keystoneauth1 spells them.
    pub name: &'static str,
    /// Help text.
    pub help: &'static str,
    /// The value is a secret (never logged or shown).
    pub secret: bool,
    /// The option must be given.
    pub required: bool,
    /// Default value.
    pub default: Option<&'static str>,
    /// Deprecated names (`user-name`, `tenant-id`, …).
    pub deprecated: &'static [&'static str],
    /// Prompt text for interactive use.
    pub prompt: Option<&'static str>,
    /// Override of the destination key (default: name with `-` → `_`).
    pub dest_override: Option<&'static str>,
    /// Value type.
    pub kind: OptKind,
}

impl Opt {
    /// A text option.
    pub const fn new(name: &'static str, help: &'static str) -> Self {
        Opt {
            name,
            help,
            secret: false,
            required: false,
            default: None,
            deprecated: &[],
            prompt: None,
            dest_override: None,
            kind: OptKind::Str,
        }
    }
    /// Mark secret.
    pub const fn secret(mut self) -> Self {
        self.secret = true;
        self
    }
    /// Mark required.
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    /// Set the default.
    pub const fn default(mut self, v: &'static str) -> Self {
        self.default = Some(v);
        self
    }
    /// Set deprecated names.
    pub const fn deprecated(mut self, names: &'static [&'static str]) -> Self {
        self.deprecated = names;
        self
    }
    /// Set a prompt.
    pub const fn prompt(mut self, p: &'static str) -> Self {
        self.prompt = Some(p);
        self
    }
    /// Set the destination key.
    pub const fn with_dest(mut self, d: &'static str) -> Self {
        self.dest_override = Some(d);
        self
    }
    /// Set the kind.
    pub const fn kind(mut self, k: OptKind) -> Self {
        self.kind = k;
        self
    }

    /// The key in [`OptionValues`]: `user-domain-id` → `user_domain_id`.
    pub fn dest(&self) -> String {
        self.dest_override
            .map(str::to_owned)
            .unwrap_or_else(|| self.name.replace('-', "_"))
    }

    /// `OS_*` variables, the option's first, then deprecated names'.
    pub fn env_vars(&self) -> Vec<String> {
        std::iter::once(self.name)
            .chain(self.deprecated.iter().copied())
            .map(|n| format!("OS_{}", n.replace('-', "_").to_ascii_uppercase()))
            .collect()
    }

    /// `--os-*` flags, the option's first, then deprecated names'.
    pub fn cli_flags(&self) -> Vec<String> {
        std::iter::once(self.name)
            .chain(self.deprecated.iter().copied())
            .map(|n| format!("--os-{n}"))
            .collect()
    }

    /// All spellings that name this option in a map or clouds.yaml (`user_domain_id`,
    /// `user-domain-id`, deprecated ones).
    pub fn keys(&self) -> Vec<String> {
        let mut k = vec![self.dest(), self.name.to_owned()];
        for d in self.deprecated {
            k.push(d.replace('-', "_"));
            k.push((*d).to_owned());
        }
        k.dedup();
        k
    }
}

/// Option values by destination key (`auth_url`, `user_domain_id`, …). `Debug` shows only keys.
#[derive(Clone, Default)]
pub struct OptionValues {
    values: BTreeMap<String, SecretString>,
}

impl fmt::Debug for OptionValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.values.keys()).finish()
    }
}

impl OptionValues {
    /// Empty.
    pub fn new() -> Self {
        Self::default()
    }
    /// Set a value (keys are normalised: `-` → `_`).
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.values
            .insert(key.replace('-', "_"), SecretString::from(value.into()));
    }
    /// Builder form of [`set`](Self::set).
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.set(key, value);
        self
    }
    /// Remove a value.
    pub fn remove(&mut self, key: &str) {
        self.values.remove(&key.replace('-', "_"));
    }
    /// A value as text (empty strings count as absent).
    pub fn get(&self, key: &str) -> Option<String> {
        use secrecy::ExposeSecret;
        self.values
            .get(&key.replace('-', "_"))
            .map(|v| v.expose_secret().to_owned())
            .filter(|v| !v.is_empty())
    }
    /// A value kept secret.
    pub fn get_secret(&self, key: &str) -> Option<SecretString> {
        self.get(key).map(SecretString::from)
    }
    /// A boolean (`true/false/yes/no/1/0/on/off`).
    pub fn get_bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(Some(true)),
                "0" | "false" | "no" | "off" => Ok(Some(false)),
                _ => Err(Error::OptionError(format!(
                    "option {key} must be a boolean, got {v:?}"
                ))),
            },
        }
    }
    /// A comma-separated list (also accepts a JSON list).
    pub fn get_list(&self, key: &str) -> Option<Vec<String>> {
        let v = self.get(key)?;
        if let Ok(list) = serde_json::from_str::<Vec<String>>(&v) {
            return Some(list);
        }
        Some(
            v.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        )
    }
    /// True if the key has a value.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    /// The keys present.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }
}

/// How to build one plugin from options. Register one with [`register_plugin!`](crate::register_plugin).
#[non_exhaustive]
pub struct PluginLoader {
    /// keystoneauth1 name (`v3password`).
    pub name: &'static str,
    /// One line on what it is.
    pub description: &'static str,
    /// Its options.
    pub options: fn() -> Vec<Opt>,
    /// Build it from option values (required options are checked first).
    pub create: fn(&OptionValues) -> Result<Arc<dyn AuthPlugin>>,
}

impl fmt::Debug for PluginLoader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginLoader")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

inventory::collect!(PluginLoader);

impl PluginLoader {
    /// A loader: its keystoneauth1-style name, a one-line description, its options, and the
    /// function that builds the plugin from option values (required options are checked and
    /// defaults filled in before it is called).
    pub const fn new(
        name: &'static str,
        description: &'static str,
        options: fn() -> Vec<Opt>,
        create: fn(&OptionValues) -> Result<Arc<dyn AuthPlugin>>,
    ) -> Self {
        PluginLoader {
            name,
            description,
            options,
            create,
        }
    }

    /// The options.
    pub fn opts(&self) -> Vec<Opt> {
        (self.options)()
    }

    /// Fill defaults, check required options, build the plugin.
    pub fn load(&self, values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
        let mut values = values.clone();
        let mut missing = Vec::new();
        for opt in self.opts() {
            let dest = opt.dest();
            if !values.contains(&dest) {
                if let Some(d) = opt.default {
                    values.set(&dest, d);
                }
            }
            if opt.required && !values.contains(&dest) {
                missing.push(MissingOption::new(
                    opt.name.to_owned(),
                    opt.env_vars().remove(0),
                ));
            }
        }
        if !missing.is_empty() {
            return Err(Error::MissingRequiredOptions(missing));
        }
        (self.create)(&values)
    }
}

/// Registers a plugin under a name, so that [`load`], clouds.yaml's `auth_type`, `OS_AUTH_TYPE`
/// and `ksa --os-auth-type` find it: put it at the top level of the crate that defines the
/// plugin (it runs before `main`; linking the crate is enough).
///
/// ```
/// use std::sync::Arc;
/// use keystoneauth_core::registry::{Opt, OptionValues};
/// use keystoneauth_core::{AuthPlugin, Result};
/// # #[derive(Debug)] struct ApiKey(String);
/// # #[keystoneauth_core::async_trait]
/// # impl AuthPlugin for ApiKey {
/// #     async fn auth_headers(&self, _: &keystoneauth_core::Session) -> Result<Option<http::HeaderMap>> { Ok(None) }
/// # }
///
/// fn api_key_options() -> Vec<Opt> {
///     vec![Opt::new("api-key", "The key").secret().required()]
/// }
///
/// fn create_api_key(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
///     Ok(Arc::new(ApiKey(values.get("api_key").unwrap_or_default())))
/// }
///
/// keystoneauth_core::register_plugin! {
///     name: "apikey",
///     description: "A static API key",
///     options: api_key_options,
///     create: create_api_key,
/// }
///
/// assert!(keystoneauth_core::registry::names().contains(&"apikey"));
/// let plugin = keystoneauth_core::registry::load(
///     "apikey",
///     &OptionValues::new().with("api_key", "k"),
/// )?;
/// # let _ = plugin;
/// # Ok::<(), keystoneauth_core::Error>(())
/// ```
#[macro_export]
macro_rules! register_plugin {
    (
        name: $name:expr,
        description: $description:expr,
        options: $options:expr,
        create: $create:expr $(,)?
    ) => {
        $crate::inventory::submit! {
            $crate::registry::PluginLoader::new($name, $description, $options, $create)
        }
    };
}

/// Every registered loader, sorted by name (the last registration of a name wins).
pub fn loaders() -> Vec<&'static PluginLoader> {
    let mut by_name: BTreeMap<&str, &'static PluginLoader> = BTreeMap::new();
    for l in inventory::iter::<PluginLoader> {
        by_name.insert(l.name, l);
    }
    by_name.into_values().collect()
}

/// Registered names, sorted.
pub fn names() -> Vec<&'static str> {
    loaders().into_iter().map(|l| l.name).collect()
}

/// The loader for a name, or `NoMatchingPlugin` listing the names there are.
pub fn loader(name: &str) -> Result<&'static PluginLoader> {
    loaders()
        .into_iter()
        .find(|l| l.name == name)
        .ok_or_else(|| Error::NoMatchingPlugin {
            name: name.to_owned(),
            available: names().into_iter().map(str::to_owned).collect(),
        })
}

/// Build a plugin by name from option values.
pub fn load(name: &str, values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    loader(name)?.load(values)
}
