//! What both generic plugins share: the auth URL, the scope and the default domain
//! ([`Common`]), and the scope setters they both have.

use keystoneauth_core::identity::DEFAULT_REFRESH_WINDOW;
use keystoneauth_core::registry::OptionValues;
use keystoneauth_core::{Authenticator, IdentityPlugin};
use keystoneauth_identity_v3::ScopeParams;

/// `Some` unless empty: an empty setter argument means "not given".
pub(crate) fn non_empty(s: impl Into<String>) -> Option<String> {
    Some(s.into()).filter(|s| !s.is_empty())
}

/// What both generic plugins take: the auth URL and the scope, with the default domain.
#[derive(Debug, Clone, Default)]
pub(crate) struct Common {
    pub(crate) auth_url: String,
    pub(crate) project_id: Option<String>,
    pub(crate) project_name: Option<String>,
    pub(crate) project_domain_id: Option<String>,
    pub(crate) project_domain_name: Option<String>,
    pub(crate) domain_id: Option<String>,
    pub(crate) domain_name: Option<String>,
    pub(crate) system_scope: Option<String>,
    pub(crate) trust_id: Option<String>,
    pub(crate) default_domain_id: Option<String>,
    pub(crate) default_domain_name: Option<String>,
    pub(crate) reauthenticate: bool,
}

impl Common {
    pub(crate) fn new(auth_url: String) -> Self {
        Common {
            auth_url,
            reauthenticate: true,
            ..Default::default()
        }
    }

    pub(crate) fn from_options(values: &OptionValues) -> Self {
        Common {
            auth_url: values.get("auth_url").unwrap_or_default(),
            project_id: values.get("project_id").or_else(|| values.get("tenant_id")),
            project_name: values
                .get("project_name")
                .or_else(|| values.get("tenant_name")),
            project_domain_id: values.get("project_domain_id"),
            project_domain_name: values.get("project_domain_name"),
            domain_id: values.get("domain_id"),
            domain_name: values.get("domain_name"),
            system_scope: values.get("system_scope"),
            trust_id: values.get("trust_id"),
            default_domain_id: values.get("default_domain_id"),
            default_domain_name: values.get("default_domain_name"),
            reauthenticate: true,
        }
    }

    /// The project domain id, falling back to the default domain id.
    pub(crate) fn eff_project_domain_id(&self) -> Option<String> {
        self.project_domain_id
            .clone()
            .or_else(|| self.default_domain_id.clone())
    }

    pub(crate) fn eff_project_domain_name(&self) -> Option<String> {
        self.project_domain_name
            .clone()
            .or_else(|| self.default_domain_name.clone())
    }

    /// keystoneauth1's `_has_domain_scope`: explicit domain or project domain (not defaults).
    pub(crate) fn has_domain_scope(&self) -> bool {
        self.domain_id.is_some()
            || self.domain_name.is_some()
            || self.project_domain_id.is_some()
            || self.project_domain_name.is_some()
    }

    pub(crate) fn has_default_domain(&self) -> bool {
        self.default_domain_id.is_some() || self.default_domain_name.is_some()
    }

    pub(crate) fn v3_scope(&self) -> ScopeParams {
        ScopeParams {
            domain_id: self.domain_id.clone(),
            domain_name: self.domain_name.clone(),
            project_id: self.project_id.clone(),
            project_name: self.project_name.clone(),
            project_domain_id: self.eff_project_domain_id(),
            project_domain_name: self.eff_project_domain_name(),
            trust_id: self.trust_id.clone(),
            system_scope: self.system_scope.clone(),
            unscoped: false,
        }
    }

    pub(crate) fn cache_elements(&self) -> Vec<(String, Option<String>)> {
        vec![
            ("auth_url".into(), Some(self.auth_url.clone())),
            ("project_id".into(), self.project_id.clone()),
            ("project_name".into(), self.project_name.clone()),
            ("project_domain_id".into(), self.eff_project_domain_id()),
            ("project_domain_name".into(), self.eff_project_domain_name()),
            ("domain_id".into(), self.domain_id.clone()),
            ("domain_name".into(), self.domain_name.clone()),
            ("trust_id".into(), self.trust_id.clone()),
        ]
    }

    pub(crate) fn into_plugin<A: Authenticator>(reauthenticate: bool, a: A) -> IdentityPlugin<A> {
        IdentityPlugin::new(a).with_refresh(DEFAULT_REFRESH_WINDOW, reauthenticate)
    }
}

/// The scope setters of a plugin with a `common: Common` field.
macro_rules! scope_setters {
    ($t:ty) => {
        impl $t {
            /// Scope to a project by id (keystoneauth1's `tenant_id` is the same).
            pub fn project_id(mut self, id: impl Into<String>) -> Self {
                self.common.project_id = $crate::common::non_empty(id);
                self
            }
            /// Scope to a project by name (keystoneauth1's `tenant_name` is the same); on v3
            /// give its domain too.
            pub fn project_name(mut self, name: impl Into<String>) -> Self {
                self.common.project_name = $crate::common::non_empty(name);
                self
            }
            /// The id of the project's domain (implies v3).
            pub fn project_domain_id(mut self, id: impl Into<String>) -> Self {
                self.common.project_domain_id = $crate::common::non_empty(id);
                self
            }
            /// The name of the project's domain (implies v3).
            pub fn project_domain_name(mut self, name: impl Into<String>) -> Self {
                self.common.project_domain_name = $crate::common::non_empty(name);
                self
            }
            /// Scope to a domain by id (implies v3).
            pub fn domain_id(mut self, id: impl Into<String>) -> Self {
                self.common.domain_id = $crate::common::non_empty(id);
                self
            }
            /// Scope to a domain by name (implies v3).
            pub fn domain_name(mut self, name: impl Into<String>) -> Self {
                self.common.domain_name = $crate::common::non_empty(name);
                self
            }
            /// Scope to the system (`all`; v3 only, ignored on v2.0).
            pub fn system_scope(mut self, scope: impl Into<String>) -> Self {
                self.common.system_scope = $crate::common::non_empty(scope);
                self
            }
            /// Scope to a trust.
            pub fn trust_id(mut self, id: impl Into<String>) -> Self {
                self.common.trust_id = $crate::common::non_empty(id);
                self
            }
            /// Domain id for the user and the project when they have none (v3; prefers v3).
            pub fn default_domain_id(mut self, id: impl Into<String>) -> Self {
                self.common.default_domain_id = $crate::common::non_empty(id);
                self
            }
            /// Domain name for the user and the project when they have none (v3; prefers v3).
            pub fn default_domain_name(mut self, name: impl Into<String>) -> Self {
                self.common.default_domain_name = $crate::common::non_empty(name);
                self
            }
            /// Get a new token when the cached one is about to expire (default true).
            pub fn reauthenticate(mut self, on: bool) -> Self {
                self.common.reauthenticate = on;
                self
            }
        }
    };
}
pub(crate) use scope_setters;
