//! The core of keystoneauth-rs: OpenStack authentication for Rust.
//!
//! - [`AuthPlugin`]: what every plugin implements (headers, endpoints, invalidate, auth state).
//! - [`IdentityPlugin`] + [`Authenticator`]: the base of identity plugins, with a token cache
//!   that refreshes 120 s before expiry, once for all concurrent callers.
//! - [`Session`]: HTTP with authentication, endpoint lookup, retries, microversions and
//!   redacted logging; [`Adapter`] binds it to one service; [`blocking`] for sync programs.
//! - [`AccessInfo`] and [`catalog::ServiceCatalog`]: what a v2.0 or v3 token says.
//! - [`discover`]: version discovery; [`version`]: versions and ranges.
//! - [`registry`]: plugins by keystoneauth1 name, with their options.
//! - [`token_store`]: one token shared by many processes (and machines), refreshed once.
//! - [`Error`]: one error type for everything.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod access;
pub mod adapter;
pub mod blocking;
pub mod catalog;
pub mod discover;
pub mod error;
pub mod headers;
pub mod identity;
pub mod plugin;
pub mod redact;
pub mod registry;
pub mod service_types;
pub mod session;
pub mod token_store;
pub mod version;

pub use access::AccessInfo;
pub use adapter::Adapter;
pub use catalog::{EndpointData, EndpointFilter, Interface, ServiceCatalog};
pub use error::{Error, HttpError, MissingAuthMethods, Result};
pub use identity::{
    AccessInfoPlugin, Authenticator, Clock, IdentityPlugin, ServiceTokenAuth, TokenCache,
};
pub use plugin::{AuthPlugin, ConnectionParams};
pub use session::{
    RequestBuilder, RequestOptions, Response, Session, SessionBuilder, StreamingResponse, Verify,
};

// Re-exports plugin crates need.
pub use async_trait::async_trait;
pub use http;
pub use inventory;
pub use secrecy;
