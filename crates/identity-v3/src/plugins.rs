//! Ready-made plugins: one auth method plus a scope (keystoneauth1's `v3.Password`, …).

use keystoneauth_core::IdentityPlugin;

use crate::auth::{Auth, Scope, ScopeParams};
use crate::method::{
    delegate_user_setters, ApplicationCredentialMethod, PasswordMethod, TokenMethod, TotpMethod,
};

/// Scope, catalog and refresh setters shared by the helpers (they all hold an `auth: Auth`).
macro_rules! auth_setters {
    ($t:ty) => {
        impl $t {
            /// Set the scope.
            pub fn scope(mut self, scope: Scope) -> Self {
                self.auth = self.auth.scope(scope);
                self
            }
            /// Set keystoneauth1's raw scope arguments.
            pub fn scope_params(mut self, params: ScopeParams) -> Self {
                self.auth = self.auth.scope_params(params);
                self
            }
            /// Ask for the service catalog (default true).
            pub fn include_catalog(mut self, on: bool) -> Self {
                self.auth = self.auth.include_catalog(on);
                self
            }
            /// Refresh the token before it expires (default true).
            pub fn reauthenticate(mut self, on: bool) -> Self {
                self.auth = self.auth.reauthenticate(on);
                self
            }
        }
    };
}
pub(crate) use auth_setters;

/// Password authentication (keystoneauth1's `v3.Password`).
///
/// ```
/// use keystoneauth_identity_v3::{Password, Scope};
/// let plugin = Password::new("http://keystone.example:5000/v3", "secret")
///     .username("demo")
///     .user_domain_name("Default")
///     .scope(Scope::ProjectId("0123abcd".into()))
///     .into_plugin();
/// # let _ = plugin;
/// ```
#[derive(Debug)]
pub struct Password {
    auth: Auth,
    method: PasswordMethod,
}

impl Password {
    /// A password for a user given with [`user_id`](Self::user_id) or
    /// [`username`](Self::username) + a domain.
    pub fn new(auth_url: impl Into<String>, password: impl Into<String>) -> Self {
        Password {
            auth: Auth::new(auth_url),
            method: PasswordMethod::new(password),
        }
    }

    /// The [`Auth`] (to add more methods, or call it directly).
    pub fn into_auth(self) -> Auth {
        self.auth.with_method(self.method)
    }

    /// The plugin.
    pub fn into_plugin(self) -> IdentityPlugin<Auth> {
        self.into_auth().into_plugin()
    }
}
delegate_user_setters!(Password, method);
auth_setters!(Password);

/// Token authentication: rescope an existing token (keystoneauth1's `v3.Token`).
///
/// ```
/// use keystoneauth_identity_v3::{Scope, Token};
/// let plugin = Token::new("http://keystone.example:5000/v3", "gAAAA…")
///     .scope(Scope::ProjectId("0123abcd".into()))
///     .into_plugin();
/// # let _ = plugin;
/// ```
#[derive(Debug)]
pub struct Token {
    auth: Auth,
    method: TokenMethod,
}

impl Token {
    /// An existing token.
    pub fn new(auth_url: impl Into<String>, token: impl Into<String>) -> Self {
        Token {
            auth: Auth::new(auth_url),
            method: TokenMethod::new(token),
        }
    }

    /// The [`Auth`].
    pub fn into_auth(self) -> Auth {
        self.auth.with_method(self.method)
    }

    /// The plugin.
    pub fn into_plugin(self) -> IdentityPlugin<Auth> {
        self.into_auth().into_plugin()
    }
}
auth_setters!(Token);

/// TOTP authentication (keystoneauth1's `v3.TOTP`).
///
/// ```
/// use keystoneauth_identity_v3::Totp;
/// let plugin = Totp::new("http://keystone.example:5000/v3", "123456")
///     .user_id("u1")
///     .into_plugin();
/// # let _ = plugin;
/// ```
#[derive(Debug)]
pub struct Totp {
    auth: Auth,
    method: TotpMethod,
}

impl Totp {
    /// A passcode for a user given with [`user_id`](Self::user_id) or
    /// [`username`](Self::username) + a domain.
    pub fn new(auth_url: impl Into<String>, passcode: impl Into<String>) -> Self {
        Totp {
            auth: Auth::new(auth_url),
            method: TotpMethod::new(passcode),
        }
    }

    /// The [`Auth`] (e.g. to add a [`ReceiptMethod`](crate::ReceiptMethod)).
    pub fn into_auth(self) -> Auth {
        self.auth.with_method(self.method)
    }

    /// The plugin.
    pub fn into_plugin(self) -> IdentityPlugin<Auth> {
        self.into_auth().into_plugin()
    }
}
delegate_user_setters!(Totp, method);
auth_setters!(Totp);

/// Application credential authentication (keystoneauth1's `v3.ApplicationCredential`).
///
/// ```
/// use keystoneauth_identity_v3::ApplicationCredential;
/// let by_id = ApplicationCredential::with_id("http://keystone.example:5000/v3", "ac1", "s3cret")
///     .into_plugin();
/// let by_name = ApplicationCredential::with_name("http://keystone.example:5000/v3", "ci", "s3cret")
///     .username("demo")
///     .user_domain_id("default")
///     .into_plugin();
/// # let _ = (by_id, by_name);
/// ```
#[derive(Debug)]
pub struct ApplicationCredential {
    auth: Auth,
    method: ApplicationCredentialMethod,
}

impl ApplicationCredential {
    /// By id and secret.
    pub fn with_id(
        auth_url: impl Into<String>,
        id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        ApplicationCredential {
            auth: Auth::new(auth_url),
            method: ApplicationCredentialMethod::with_id(id, secret),
        }
    }

    /// By name and secret; name the owner with the user setters.
    pub fn with_name(
        auth_url: impl Into<String>,
        name: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        ApplicationCredential {
            auth: Auth::new(auth_url),
            method: ApplicationCredentialMethod::with_name(name, secret),
        }
    }

    /// The [`Auth`].
    pub fn into_auth(self) -> Auth {
        self.auth.with_method(self.method)
    }

    /// The plugin.
    pub fn into_plugin(self) -> IdentityPlugin<Auth> {
        self.into_auth().into_plugin()
    }
}
delegate_user_setters!(ApplicationCredential, method);
auth_setters!(ApplicationCredential);
