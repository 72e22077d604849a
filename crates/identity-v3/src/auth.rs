//! [`Auth`]: a v3 token request built from [`AuthMethod`]s and a scope.

use std::fmt;
use std::sync::{Arc, RwLock};

use keystoneauth_core::identity::DEFAULT_REFRESH_WINDOW;
use keystoneauth_core::registry::OptionValues;
use keystoneauth_core::secrecy::SecretString;
use keystoneauth_core::{
    async_trait, AccessInfo, Authenticator, Error, IdentityPlugin, Response, Result, Session,
};
use serde_json::{json, Value};

use crate::method::{AuthMethod, AuthRequest};

/// A domain named by id or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainRef {
    /// By id.
    Id(String),
    /// By name.
    Name(String),
}

/// What a token is scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope {
    /// A project by id.
    ProjectId(String),
    /// A project by name, within a domain (names are only unique within a domain).
    ProjectName {
        /// Project name.
        name: String,
        /// Its domain (`None` sends no domain; Keystone will refuse it).
        domain: Option<DomainRef>,
    },
    /// A domain by id.
    DomainId(String),
    /// A domain by name.
    DomainName(String),
    /// The whole system (`{"system": {"all": true}}`).
    System,
    /// A trust (`OS-TRUST:trust`).
    Trust(String),
    /// Explicitly unscoped (`"scope": "unscoped"`): no default project.
    Unscoped,
}

impl Scope {
    /// A project by name within a domain given by id.
    pub fn project_in_domain_id(name: impl Into<String>, domain_id: impl Into<String>) -> Self {
        Scope::ProjectName {
            name: name.into(),
            domain: Some(DomainRef::Id(domain_id.into())),
        }
    }

    /// A project by name within a domain given by name.
    pub fn project_in_domain_name(name: impl Into<String>, domain_name: impl Into<String>) -> Self {
        Scope::ProjectName {
            name: name.into(),
            domain: Some(DomainRef::Name(domain_name.into())),
        }
    }
}

/// keystoneauth1's scope arguments, each optional, as a loader or a config file has them.
/// [`Auth`] checks them when it authenticates: more than one target is an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeParams {
    /// `domain_id`.
    pub domain_id: Option<String>,
    /// `domain_name`.
    pub domain_name: Option<String>,
    /// `project_id`.
    pub project_id: Option<String>,
    /// `project_name`.
    pub project_name: Option<String>,
    /// `project_domain_id`.
    pub project_domain_id: Option<String>,
    /// `project_domain_name`.
    pub project_domain_name: Option<String>,
    /// `trust_id`.
    pub trust_id: Option<String>,
    /// `system_scope` (only `all` is valid).
    pub system_scope: Option<String>,
    /// Ask for an unscoped token explicitly.
    pub unscoped: bool,
}

impl From<Scope> for ScopeParams {
    fn from(s: Scope) -> Self {
        let mut p = ScopeParams::default();
        match s {
            Scope::ProjectId(id) => p.project_id = Some(id),
            Scope::ProjectName { name, domain } => {
                p.project_name = Some(name);
                match domain {
                    Some(DomainRef::Id(d)) => p.project_domain_id = Some(d),
                    Some(DomainRef::Name(d)) => p.project_domain_name = Some(d),
                    None => {}
                }
            }
            Scope::DomainId(id) => p.domain_id = Some(id),
            Scope::DomainName(n) => p.domain_name = Some(n),
            Scope::System => p.system_scope = Some("all".into()),
            Scope::Trust(t) => p.trust_id = Some(t),
            Scope::Unscoped => p.unscoped = true,
        }
        p
    }
}

impl ScopeParams {
    /// The scope options of a loader (`domain_id`, `project_name`, `system_scope`, …).
    pub fn from_options(values: &OptionValues) -> Self {
        ScopeParams {
            domain_id: values.get("domain_id"),
            domain_name: values.get("domain_name"),
            project_id: values.get("project_id"),
            project_name: values.get("project_name"),
            project_domain_id: values.get("project_domain_id"),
            project_domain_name: values.get("project_domain_name"),
            trust_id: values.get("trust_id"),
            system_scope: values.get("system_scope"),
            unscoped: false,
        }
    }

    /// True if any scope target is set (keystoneauth1's `has_scope_parameters`).
    pub fn has_scope(&self) -> bool {
        self.domain_id.is_some()
            || self.domain_name.is_some()
            || self.project_id.is_some()
            || self.project_name.is_some()
            || self.trust_id.is_some()
            || self.system_scope.is_some()
    }

    /// The `scope` of the request body, `None` when there is none, or the errors
    /// keystoneauth1 raises (several targets; a system scope other than `all`).
    pub fn to_json(&self) -> Result<Option<Value>> {
        let targets = [
            self.domain_id.is_some() || self.domain_name.is_some(),
            self.project_id.is_some() || self.project_name.is_some(),
            self.trust_id.is_some(),
            self.system_scope.is_some(),
            self.unscoped,
        ];
        if targets.iter().filter(|t| **t).count() > 1 {
            return Err(Error::AuthorizationFailure(
                "Authentication cannot be scoped to multiple targets. Pick one of: project, \
                 domain, trust, system or unscoped"
                    .into(),
            ));
        }
        let scope = if let Some(id) = &self.domain_id {
            json!({ "domain": { "id": id } })
        } else if let Some(name) = &self.domain_name {
            json!({ "domain": { "name": name } })
        } else if let Some(id) = &self.project_id {
            json!({ "project": { "id": id } })
        } else if let Some(name) = &self.project_name {
            let mut project = json!({ "name": name });
            if let Some(d) = &self.project_domain_id {
                project["domain"] = json!({ "id": d });
            } else if let Some(d) = &self.project_domain_name {
                project["domain"] = json!({ "name": d });
            }
            json!({ "project": project })
        } else if let Some(id) = &self.trust_id {
            json!({ "OS-TRUST:trust": { "id": id } })
        } else if self.unscoped {
            json!("unscoped")
        } else if let Some(system) = &self.system_scope {
            if system != "all" {
                return Err(Error::AuthorizationFailure(
                    "Invalid system scope, only \"all\" is supported".into(),
                ));
            }
            json!({ "system": { "all": true } })
        } else {
            return Ok(None);
        };
        Ok(Some(scope))
    }

    pub(crate) fn cache_elements(&self) -> Vec<(String, Option<String>)> {
        vec![
            ("domain_id".into(), self.domain_id.clone()),
            ("domain_name".into(), self.domain_name.clone()),
            ("project_id".into(), self.project_id.clone()),
            ("project_name".into(), self.project_name.clone()),
            ("project_domain_id".into(), self.project_domain_id.clone()),
            (
                "project_domain_name".into(),
                self.project_domain_name.clone(),
            ),
            ("trust_id".into(), self.trust_id.clone()),
        ]
    }
}

/// `{auth_url}/auth/tokens`, or `{auth_url}/v3/auth/tokens` when the URL does not end in
/// `v3` (keystoneauth1's rule).
pub fn token_url(auth_url: &str) -> String {
    let base = auth_url.trim_end_matches('/');
    if base.ends_with("v3") {
        format!("{base}/auth/tokens")
    } else {
        format!("{base}/v3/auth/tokens")
    }
}

/// Parse a v3 token response: the body must be JSON with a `token`, the token id is the
/// `X-Subject-Token` header (there, visible text, not empty) unless given. The body is
/// checked without building a `serde_json::Value` (about ten times a large body's size), and
/// the access info keeps the response's buffer as its raw body.
pub(crate) fn parse_token_response(
    resp: &Response,
    token: Option<SecretString>,
) -> Result<AccessInfo> {
    #[derive(serde::Deserialize)]
    struct Sniff {
        #[serde(default)]
        token: Option<serde::de::IgnoredAny>,
    }
    let sniff: Sniff = serde_json::from_slice(resp.bytes()).map_err(|e| {
        Error::InvalidResponse(format!("Failed to parse the token response as JSON: {e}"))
    })?;
    if sniff.token.is_none() {
        return Err(Error::InvalidResponse(
            "The token response has no 'token' key".into(),
        ));
    }
    let token = match token {
        Some(t) => t,
        None => keystoneauth_core::headers::subject_token(resp)?,
    };
    AccessInfo::from_v3_bytes(resp.bytes().clone(), token)
}

/// A v3 token request: auth methods plus a scope (keystoneauth1's `identity.v3.Auth`).
///
/// It is an [`Authenticator`]; [`into_plugin`](Auth::into_plugin) wraps it in an
/// [`IdentityPlugin`] that caches the token.
///
/// ```
/// use keystoneauth_core::AuthPlugin;
/// use keystoneauth_identity_v3::{Auth, PasswordMethod, Scope};
/// let auth = Auth::new("http://keystone.example:5000/v3")
///     .with_method(PasswordMethod::new("secret").username("demo").user_domain_id("default"))
///     .scope(Scope::project_in_domain_id("demo", "default"));
/// let plugin = auth.into_plugin();
/// assert!(plugin.cache_id().is_some());
/// ```
pub struct Auth {
    auth_url: String,
    methods: RwLock<Vec<Arc<dyn AuthMethod>>>,
    scope: ScopeParams,
    include_catalog: bool,
    reauthenticate: bool,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("auth_url", &self.auth_url)
            .field("methods", &self.methods())
            .field("scope", &self.scope)
            .field("include_catalog", &self.include_catalog)
            .field("reauthenticate", &self.reauthenticate)
            .finish()
    }
}

impl Auth {
    /// No methods yet, no scope, with the catalog, reauthenticating.
    pub fn new(auth_url: impl Into<String>) -> Self {
        Auth {
            auth_url: auth_url.into(),
            methods: RwLock::new(Vec::new()),
            scope: ScopeParams::default(),
            include_catalog: true,
            reauthenticate: true,
        }
    }

    /// Add a method (builder form).
    pub fn with_method(self, method: impl AuthMethod + 'static) -> Self {
        self.add_method(method);
        self
    }

    /// Add a method; also works on an `Auth` inside a plugin (e.g. add a TOTP after
    /// [`Error::MissingAuthMethods`]). Drop the plugin's cached token yourself if it has one.
    pub fn add_method(&self, method: impl AuthMethod + 'static) {
        self.add_method_arc(Arc::new(method));
    }

    /// Add a shared method.
    pub fn add_method_arc(&self, method: Arc<dyn AuthMethod>) {
        self.methods
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(method);
    }

    /// The methods, in order.
    pub fn methods(&self) -> Vec<Arc<dyn AuthMethod>> {
        self.methods
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Set the scope.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = scope.into();
        self
    }

    /// Set keystoneauth1's raw scope arguments.
    pub fn scope_params(mut self, params: ScopeParams) -> Self {
        self.scope = params;
        self
    }

    /// The scope arguments.
    pub fn scope_parameters(&self) -> &ScopeParams {
        &self.scope
    }

    /// Ask for the service catalog (default true; false adds `?nocatalog`).
    pub fn include_catalog(mut self, on: bool) -> Self {
        self.include_catalog = on;
        self
    }

    /// Get a new token when the cached one is about to expire (default true).
    pub fn reauthenticate(mut self, on: bool) -> Self {
        self.reauthenticate = on;
        self
    }

    /// The URL the token request goes to.
    pub fn token_url(&self) -> String {
        let mut url = token_url(&self.auth_url);
        if !self.include_catalog {
            url.push_str("?nocatalog");
        }
        url
    }

    /// The request body and headers, as they would be sent now.
    pub async fn request_body(
        &self,
        session: &Session,
    ) -> Result<(Value, keystoneauth_core::http::HeaderMap)> {
        let mut request = AuthRequest::new(&self.auth_url);
        let mut identity = serde_json::Map::new();
        let mut names: Vec<Value> = Vec::new();
        for method in self.methods() {
            if let Some((name, data)) = method.auth_data(session, &mut request).await? {
                names.push(Value::String(name.clone()));
                identity.insert(name, data);
            }
        }
        if names.is_empty() {
            return Err(Error::AuthorizationFailure(
                "Authentication method required (e.g. password)".into(),
            ));
        }
        identity.insert("methods".into(), Value::Array(names));
        let mut auth = json!({ "identity": identity });
        if let Some(scope) = self.scope.to_json()? {
            auth["scope"] = scope;
        }
        Ok((json!({ "auth": auth }), request.into_headers()))
    }

    pub(crate) fn reauthenticates(&self) -> bool {
        self.reauthenticate
    }

    /// Wrap in an [`IdentityPlugin`] (token cache, catalog, discovery).
    pub fn into_plugin(self) -> IdentityPlugin<Auth> {
        let reauth = self.reauthenticate;
        IdentityPlugin::new(self).with_refresh(DEFAULT_REFRESH_WINDOW, reauth)
    }
}

#[async_trait]
impl Authenticator for Auth {
    async fn authenticate(&self, session: &Session) -> Result<AccessInfo> {
        let (body, headers) = self.request_body(session).await?;
        let resp = session
            .post(self.token_url())
            .json(&body)
            .headers(headers)
            .authenticated(false)
            .log_body(false)
            .send()
            .await?;
        parse_token_response(&resp, None)
    }

    fn auth_url(&self) -> &str {
        &self.auth_url
    }

    fn plugin_name(&self) -> String {
        let methods: Vec<_> = self
            .methods()
            .iter()
            .filter(|m| m.plugin_suffix() != Some("token") || self.methods().len() == 1)
            .filter_map(|m| m.plugin_suffix())
            .collect();
        match methods.as_slice() {
            [one] => format!("v3{one}"),
            [] => "v3".to_owned(),
            _ => "v3multifactor".to_owned(),
        }
    }

    fn cache_id_elements(&self) -> Option<Vec<(String, Option<String>)>> {
        let methods = self.methods();
        if methods.is_empty() {
            return Some(Vec::new());
        }
        // A dict update in keystoneauth1: a later key replaces an earlier one.
        let mut elements = std::collections::BTreeMap::new();
        elements.insert("auth_url".to_owned(), Some(self.auth_url.clone()));
        elements.extend(self.scope.cache_elements());
        for m in methods {
            elements.extend(m.cache_id_elements()?);
        }
        Some(elements.into_iter().collect())
    }
}
