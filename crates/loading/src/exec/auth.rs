//! [`AuthPlugin`] for [`ExecPlugin`]: each call on the current result (a token, or the
//! plugin the command named).

use std::sync::Arc;

use keystoneauth_core::http::HeaderMap;
use keystoneauth_core::identity::identity_endpoint_data;
use keystoneauth_core::plugin::{token_headers, X_AUTH_TOKEN};
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{
    AccessInfo, AuthPlugin, ConnectionParams, EndpointData, EndpointFilter, Result, Session,
};

use super::cache::Kind;
use super::ExecPlugin;

#[keystoneauth_core::async_trait]
impl AuthPlugin for ExecPlugin {
    async fn auth_headers(&self, session: &Session) -> Result<Option<HeaderMap>> {
        self.with_current(session, |l| async move {
            match &l.kind {
                Kind::Token(t) => Ok(Some(token_headers(t.access.auth_token())?)),
                Kind::Plugin { plugin, .. } => plugin.auth_headers(session).await,
            }
        })
        .await
    }

    fn add_ready_auth_headers(&self, headers: &mut HeaderMap) -> bool {
        let Some(l) = self.usable(None) else {
            return false;
        };
        match &l.kind {
            Kind::Token(t) => match t.access.auth_token_header() {
                Some(v) => {
                    headers.insert(X_AUTH_TOKEN, v.clone());
                    true
                }
                None => false,
            },
            Kind::Plugin { plugin, .. } => plugin.add_ready_auth_headers(headers),
        }
    }

    async fn token(&self, session: &Session) -> Result<Option<SecretString>> {
        self.with_current(session, |l| async move {
            match &l.kind {
                Kind::Token(t) => Ok(Some(t.access.auth_token().clone())),
                Kind::Plugin { plugin, .. } => plugin.token(session).await,
            }
        })
        .await
    }

    async fn endpoint_data(
        &self,
        session: &Session,
        filter: &EndpointFilter,
    ) -> Result<Option<EndpointData>> {
        self.with_current(session, |l| async move {
            match &l.kind {
                Kind::Token(t) => {
                    if filter.is_auth_interface() && t.auth_url.is_none() {
                        return Ok(None);
                    }
                    identity_endpoint_data(
                        session,
                        t.auth_url.as_deref().unwrap_or(""),
                        Some(&t.access),
                        filter,
                    )
                    .await
                }
                Kind::Plugin { plugin, .. } => plugin.endpoint_data(session, filter).await,
            }
        })
        .await
    }

    async fn endpoint(&self, session: &Session, filter: &EndpointFilter) -> Result<Option<String>> {
        self.with_current(session, |l| async move {
            match &l.kind {
                Kind::Token(_) => Ok(self
                    .endpoint_data(session, filter)
                    .await?
                    .map(|d| d.url().to_owned())),
                Kind::Plugin { plugin, .. } => plugin.endpoint(session, filter).await,
            }
        })
        .await
    }

    fn invalidate(&self) -> bool {
        let Some(cur) = self.peek() else {
            return false;
        };
        match &cur.kind {
            Kind::Token(_) => {
                self.drop_if(cur.generation);
                true
            }
            Kind::Plugin { plugin, .. } => plugin.invalidate(),
        }
    }

    fn invalidate_sent(&self, sent: Option<&str>) -> bool {
        let Some(cur) = self.peek() else {
            // Nothing cached: the next request runs the command.
            return true;
        };
        match &cur.kind {
            Kind::Token(t) => {
                let is_it = sent.is_none_or(|s| t.access.auth_token().expose_secret() == s);
                if is_it {
                    self.drop_if(cur.generation);
                }
                true
            }
            Kind::Plugin { plugin, .. } => plugin.invalidate_sent(sent),
        }
    }

    async fn user_id(&self, session: &Session) -> Result<Option<String>> {
        self.with_current(session, |l| async move {
            match &l.kind {
                Kind::Token(t) => Ok(Some(t.access.user_id().to_owned()).filter(|u| !u.is_empty())),
                Kind::Plugin { plugin, .. } => plugin.user_id(session).await,
            }
        })
        .await
    }

    async fn project_id(&self, session: &Session) -> Result<Option<String>> {
        self.with_current(session, |l| async move {
            match &l.kind {
                Kind::Token(t) => Ok(t.access.project_id().map(str::to_owned)),
                Kind::Plugin { plugin, .. } => plugin.project_id(session).await,
            }
        })
        .await
    }

    async fn access(&self, session: &Session) -> Result<Option<Arc<AccessInfo>>> {
        self.with_current(session, |l| async move {
            match &l.kind {
                Kind::Token(t) => Ok(Some(t.access.clone())),
                Kind::Plugin { plugin, .. } => plugin.access(session).await,
            }
        })
        .await
    }

    fn connection_params(&self) -> ConnectionParams {
        match self.peek().as_deref().map(|l| &l.kind) {
            Some(Kind::Plugin { plugin, .. }) => plugin.connection_params(),
            _ => ConnectionParams::default(),
        }
    }

    fn auth_url(&self) -> Option<String> {
        match self.peek().as_deref().map(|l| &l.kind) {
            Some(Kind::Token(t)) => t.auth_url.clone(),
            Some(Kind::Plugin { plugin, .. }) => plugin.auth_url(),
            None => self.auth_url.clone(),
        }
    }

    fn auth_state(&self) -> Option<String> {
        match self.peek().as_deref().map(|l| &l.kind) {
            Some(Kind::Token(t)) => Some(t.access.to_auth_state()),
            Some(Kind::Plugin { plugin, .. }) => plugin.auth_state(),
            None => None,
        }
    }
}
