//! Auth methods: each adds one entry to `auth.identity` of a v3 token request.

use std::fmt;

use keystoneauth_core::http::{HeaderMap, HeaderName, HeaderValue};
use keystoneauth_core::redact::is_secure_header;
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{async_trait, Error, Result, Session};
use serde_json::{json, Map, Value};

/// The request being built by [`Auth`](crate::Auth): methods may add headers to it.
#[derive(Debug)]
pub struct AuthRequest {
    auth_url: String,
    headers: HeaderMap,
}

impl AuthRequest {
    /// A request for this auth URL, with `Accept: application/json`.
    pub fn new(auth_url: impl Into<String>) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            keystoneauth_core::http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        AuthRequest {
            auth_url: auth_url.into(),
            headers,
        }
    }

    /// The auth URL of the plugin.
    pub fn auth_url(&self) -> &str {
        &self.auth_url
    }

    /// Set a header (token-like headers are marked sensitive so they are never logged).
    pub fn set_header(&mut self, name: &str, value: &str) -> Result<()> {
        let n = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::OptionError(format!("invalid header name {name:?}")))?;
        let mut v = HeaderValue::from_str(value)
            .map_err(|_| Error::OptionError(format!("invalid value for header {name}")))?;
        if is_secure_header(name) {
            v.set_sensitive(true);
        }
        self.headers.insert(n, v);
        Ok(())
    }

    /// The headers set so far.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    pub(crate) fn into_headers(self) -> HeaderMap {
        self.headers
    }
}

/// One way of proving identity in a v3 token request (keystoneauth1's `AuthMethod`).
///
/// ```
/// use keystoneauth_core::{async_trait, Result, Session};
/// use keystoneauth_identity_v3::{AuthMethod, AuthRequest};
/// #[derive(Debug)]
/// struct External;
/// #[async_trait]
/// impl AuthMethod for External {
///     async fn auth_data(&self, _s: &Session, _r: &mut AuthRequest)
///         -> Result<Option<(String, serde_json::Value)>> {
///         Ok(Some(("external".into(), serde_json::json!({}))))
///     }
/// }
/// ```
#[async_trait]
pub trait AuthMethod: Send + Sync + fmt::Debug {
    /// The method name and its data (`identity[name] = data`), or `None` for a method that
    /// only adds headers (a receipt).
    async fn auth_data(
        &self,
        session: &Session,
        request: &mut AuthRequest,
    ) -> Result<Option<(String, Value)>>;

    /// The cache id elements, keyed with the method prefix (`password_username`, …); `None`
    /// means a plugin using this method has no cache id.
    fn cache_id_elements(&self) -> Option<Vec<(String, Option<String>)>> {
        None
    }

    /// The keystoneauth1 plugin this method makes alone (`password` for `v3password`), used
    /// to name the plugin in errors; `None` for a method that is never a plugin alone.
    fn plugin_suffix(&self) -> Option<&'static str> {
        None
    }
}

fn expose(s: &Option<SecretString>) -> Option<String> {
    s.as_ref().map(|s| s.expose_secret().to_owned())
}

/// Who the user is: an id, or a name within a domain (id or name).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct UserRef {
    /// User id (wins over the name).
    pub user_id: Option<String>,
    /// User name (needs a domain).
    pub username: Option<String>,
    /// The user's domain id (wins over the domain name).
    pub user_domain_id: Option<String>,
    /// The user's domain name.
    pub user_domain_name: Option<String>,
}

impl fmt::Debug for UserRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("UserRef");
        for (k, v) in [
            ("user_id", &self.user_id),
            ("username", &self.username),
            ("user_domain_id", &self.user_domain_id),
            ("user_domain_name", &self.user_domain_name),
        ] {
            if let Some(v) = v {
                d.field(k, v);
            }
        }
        d.finish()
    }
}

impl UserRef {
    /// Fill the user keys of a JSON object: `id`, or `name` + `domain`.
    fn fill(&self, user: &mut Map<String, Value>) {
        if let Some(id) = &self.user_id {
            user.insert("id".into(), json!(id));
        } else if let Some(name) = &self.username {
            user.insert("name".into(), json!(name));
            if let Some(d) = &self.user_domain_id {
                user.insert("domain".into(), json!({ "id": d }));
            } else if let Some(d) = &self.user_domain_name {
                user.insert("domain".into(), json!({ "name": d }));
            }
        }
    }

    fn elements(&self, prefix: &str) -> Vec<(String, Option<String>)> {
        vec![
            (format!("{prefix}_user_id"), self.user_id.clone()),
            (format!("{prefix}_username"), self.username.clone()),
            (
                format!("{prefix}_user_domain_id"),
                self.user_domain_id.clone(),
            ),
            (
                format!("{prefix}_user_domain_name"),
                self.user_domain_name.clone(),
            ),
        ]
    }
}

macro_rules! user_setters {
    ($t:ty, $field:ident) => {
        impl $t {
            /// The user's id.
            pub fn user_id(mut self, id: impl Into<String>) -> Self {
                self.$field.user_id = Some(id.into());
                self
            }
            /// The user's name (give a domain too).
            pub fn username(mut self, name: impl Into<String>) -> Self {
                self.$field.username = Some(name.into());
                self
            }
            /// The id of the user's domain.
            pub fn user_domain_id(mut self, id: impl Into<String>) -> Self {
                self.$field.user_domain_id = Some(id.into());
                self
            }
            /// The name of the user's domain.
            pub fn user_domain_name(mut self, name: impl Into<String>) -> Self {
                self.$field.user_domain_name = Some(name.into());
                self
            }
        }
    };
}

/// The same setters on a type that holds a method with them.
macro_rules! delegate_user_setters {
    ($t:ty, $field:ident) => {
        impl $t {
            /// The user's id.
            pub fn user_id(mut self, id: impl Into<String>) -> Self {
                self.$field = self.$field.user_id(id);
                self
            }
            /// The user's name (give a domain too).
            pub fn username(mut self, name: impl Into<String>) -> Self {
                self.$field = self.$field.username(name);
                self
            }
            /// The id of the user's domain.
            pub fn user_domain_id(mut self, id: impl Into<String>) -> Self {
                self.$field = self.$field.user_domain_id(id);
                self
            }
            /// The name of the user's domain.
            pub fn user_domain_name(mut self, name: impl Into<String>) -> Self {
                self.$field = self.$field.user_domain_name(name);
                self
            }
        }
    };
}
pub(crate) use delegate_user_setters;

/// `password`: `{"user": {"password", "id"}}` or `{"user": {"password", "name", "domain"}}`.
#[derive(Clone)]
pub struct PasswordMethod {
    password: Option<SecretString>,
    user: UserRef,
}

impl fmt::Debug for PasswordMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordMethod")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl PasswordMethod {
    /// A password method; set the user with the builder methods.
    pub fn new(password: impl Into<String>) -> Self {
        PasswordMethod {
            password: Some(SecretString::from(password.into())),
            user: UserRef::default(),
        }
    }

    /// From a password (if any) and a user reference.
    pub fn with_user(password: Option<SecretString>, user: UserRef) -> Self {
        PasswordMethod { password, user }
    }
}
user_setters!(PasswordMethod, user);

#[async_trait]
impl AuthMethod for PasswordMethod {
    fn plugin_suffix(&self) -> Option<&'static str> {
        Some("password")
    }

    async fn auth_data(
        &self,
        _session: &Session,
        _request: &mut AuthRequest,
    ) -> Result<Option<(String, Value)>> {
        let mut user = Map::new();
        user.insert("password".into(), json!(expose(&self.password)));
        self.user.fill(&mut user);
        Ok(Some(("password".into(), json!({ "user": user }))))
    }

    fn cache_id_elements(&self) -> Option<Vec<(String, Option<String>)>> {
        let mut e = self.user.elements("password");
        e.push(("password_password".into(), expose(&self.password)));
        Some(e)
    }
}

/// `totp`: `{"user": {"passcode", "id"}}` or `{"user": {"passcode", "name", "domain"}}`.
#[derive(Clone)]
pub struct TotpMethod {
    passcode: Option<SecretString>,
    user: UserRef,
}

impl fmt::Debug for TotpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpMethod")
            .field("user", &self.user)
            .field("passcode", &"<redacted>")
            .finish()
    }
}

impl TotpMethod {
    /// A TOTP method with the current passcode; set the user with the builder methods.
    pub fn new(passcode: impl Into<String>) -> Self {
        TotpMethod {
            passcode: Some(SecretString::from(passcode.into())),
            user: UserRef::default(),
        }
    }

    /// From a passcode (if any) and a user reference.
    pub fn with_user(passcode: Option<SecretString>, user: UserRef) -> Self {
        TotpMethod { passcode, user }
    }
}
user_setters!(TotpMethod, user);

#[async_trait]
impl AuthMethod for TotpMethod {
    fn plugin_suffix(&self) -> Option<&'static str> {
        Some("totp")
    }

    async fn auth_data(
        &self,
        _session: &Session,
        _request: &mut AuthRequest,
    ) -> Result<Option<(String, Value)>> {
        let mut user = Map::new();
        user.insert("passcode".into(), json!(expose(&self.passcode)));
        self.user.fill(&mut user);
        Ok(Some(("totp".into(), json!({ "user": user }))))
    }

    fn cache_id_elements(&self) -> Option<Vec<(String, Option<String>)>> {
        let mut e = self.user.elements("totp");
        e.push(("totp_passcode".into(), expose(&self.passcode)));
        Some(e)
    }
}

/// `token`: `{"id": token}`, and the token in `X-Auth-Token`.
#[derive(Clone)]
pub struct TokenMethod {
    token: SecretString,
}

impl fmt::Debug for TokenMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenMethod")
            .field("token", &"<redacted>")
            .finish()
    }
}

impl TokenMethod {
    /// A token method.
    pub fn new(token: impl Into<String>) -> Self {
        TokenMethod {
            token: SecretString::from(token.into()),
        }
    }
}

#[async_trait]
impl AuthMethod for TokenMethod {
    fn plugin_suffix(&self) -> Option<&'static str> {
        Some("token")
    }

    async fn auth_data(
        &self,
        _session: &Session,
        request: &mut AuthRequest,
    ) -> Result<Option<(String, Value)>> {
        request.set_header("X-Auth-Token", self.token.expose_secret())?;
        Ok(Some((
            "token".into(),
            json!({ "id": self.token.expose_secret() }),
        )))
    }

    fn cache_id_elements(&self) -> Option<Vec<(String, Option<String>)>> {
        Some(vec![(
            "token_token".into(),
            Some(self.token.expose_secret().to_owned()),
        )])
    }
}

/// An MFA receipt: adds only the `Openstack-Auth-Receipt` header. Combine it with the
/// missing method(s), e.g. a [`TotpMethod`].
#[derive(Clone)]
pub struct ReceiptMethod {
    receipt: SecretString,
}

impl fmt::Debug for ReceiptMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiptMethod")
            .field("receipt", &"<redacted>")
            .finish()
    }
}

impl ReceiptMethod {
    /// A receipt method (the receipt comes from
    /// [`MissingAuthMethods::receipt`](keystoneauth_core::MissingAuthMethods)).
    pub fn new(receipt: impl Into<String>) -> Self {
        ReceiptMethod {
            receipt: SecretString::from(receipt.into()),
        }
    }

    /// From a receipt kept secret.
    pub fn from_secret(receipt: SecretString) -> Self {
        ReceiptMethod { receipt }
    }
}

#[async_trait]
impl AuthMethod for ReceiptMethod {
    async fn auth_data(
        &self,
        _session: &Session,
        request: &mut AuthRequest,
    ) -> Result<Option<(String, Value)>> {
        request.set_header(
            keystoneauth_core::session::RECEIPT_HEADER,
            self.receipt.expose_secret(),
        )?;
        Ok(None)
    }

    fn cache_id_elements(&self) -> Option<Vec<(String, Option<String>)>> {
        Some(vec![(
            "receipt_receipt".into(),
            Some(self.receipt.expose_secret().to_owned()),
        )])
    }
}

/// `application_credential`: `{"id", "secret"}`, or `{"name", "secret", "user": {…}}`.
#[derive(Clone)]
pub struct ApplicationCredentialMethod {
    secret: Option<SecretString>,
    id: Option<String>,
    name: Option<String>,
    user: UserRef,
}

impl fmt::Debug for ApplicationCredentialMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplicationCredentialMethod")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("user", &self.user)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl ApplicationCredentialMethod {
    /// By id and secret.
    pub fn with_id(id: impl Into<String>, secret: impl Into<String>) -> Self {
        ApplicationCredentialMethod {
            secret: Some(SecretString::from(secret.into())),
            id: Some(id.into()),
            name: None,
            user: UserRef::default(),
        }
    }

    /// By name and secret; set the owner with the user builder methods.
    pub fn with_name(name: impl Into<String>, secret: impl Into<String>) -> Self {
        ApplicationCredentialMethod {
            secret: Some(SecretString::from(secret.into())),
            id: None,
            name: Some(name.into()),
            user: UserRef::default(),
        }
    }

    /// From all parts (as the loaders have them).
    pub fn from_parts(
        id: Option<String>,
        name: Option<String>,
        secret: Option<SecretString>,
        user: UserRef,
    ) -> Self {
        ApplicationCredentialMethod {
            secret,
            id,
            name,
            user,
        }
    }
}
user_setters!(ApplicationCredentialMethod, user);

#[async_trait]
impl AuthMethod for ApplicationCredentialMethod {
    fn plugin_suffix(&self) -> Option<&'static str> {
        Some("applicationcredential")
    }

    async fn auth_data(
        &self,
        _session: &Session,
        _request: &mut AuthRequest,
    ) -> Result<Option<(String, Value)>> {
        let mut data = Map::new();
        data.insert("secret".into(), json!(expose(&self.secret)));
        if let Some(id) = &self.id {
            data.insert("id".into(), json!(id));
        } else {
            data.insert("name".into(), json!(self.name));
            let mut user = Map::new();
            self.user.fill(&mut user);
            data.insert("user".into(), Value::Object(user));
        }
        Ok(Some(("application_credential".into(), Value::Object(data))))
    }

    fn cache_id_elements(&self) -> Option<Vec<(String, Option<String>)>> {
        let p = "application_credential";
        let mut e = vec![
            (
                format!("{p}_application_credential_secret"),
                expose(&self.secret),
            ),
            (format!("{p}_application_credential_id"), self.id.clone()),
            (
                format!("{p}_application_credential_name"),
                self.name.clone(),
            ),
        ];
        e.extend(self.user.elements(p));
        Some(e)
    }
}

/// The method of keystoneauth1's `OAuth2ClientCredential`: sends the OAuth2 client id and
/// secret as an `application_credential` `{"id", "secret"}` (Keystone's OAuth2 clients are
/// application credentials).
#[derive(Clone)]
pub struct OAuth2ClientCredentialMethod {
    endpoint: String,
    client_id: String,
    client_secret: SecretString,
}

impl fmt::Debug for OAuth2ClientCredentialMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2ClientCredentialMethod")
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

impl OAuth2ClientCredentialMethod {
    /// The OAuth2 token endpoint, client id and secret.
    pub fn new(
        endpoint: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        OAuth2ClientCredentialMethod {
            endpoint: endpoint.into(),
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
        }
    }

    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }
    pub(crate) fn client_id(&self) -> &str {
        &self.client_id
    }
    pub(crate) fn client_secret(&self) -> &SecretString {
        &self.client_secret
    }
}

#[async_trait]
impl AuthMethod for OAuth2ClientCredentialMethod {
    fn plugin_suffix(&self) -> Option<&'static str> {
        Some("oauth2clientcredential")
    }

    async fn auth_data(
        &self,
        _session: &Session,
        _request: &mut AuthRequest,
    ) -> Result<Option<(String, Value)>> {
        Ok(Some((
            "application_credential".into(),
            json!({ "id": self.client_id, "secret": self.client_secret.expose_secret() }),
        )))
    }

    fn cache_id_elements(&self) -> Option<Vec<(String, Option<String>)>> {
        let p = "oauth2_client_credential";
        Some(vec![
            (format!("{p}_oauth2_endpoint"), Some(self.endpoint.clone())),
            (
                format!("{p}_oauth2_client_id"),
                Some(self.client_id.clone()),
            ),
            (
                format!("{p}_oauth2_client_secret"),
                Some(self.client_secret.expose_secret().to_owned()),
            ),
        ])
    }
}
