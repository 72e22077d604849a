//! Test helpers for keystoneauth-rs: JSON [`fixtures`] shaped exactly like Keystone's responses
//! and an in-process identity [`emulator`] (a small Keystone on `127.0.0.1`) that speaks the v3
//! and v2.0 token APIs, discovery, MFA receipts, and hosts fake catalog services.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod emulator;
pub mod fixtures;
#[cfg(feature = "wiremock")]
#[cfg_attr(docsrs, doc(cfg(feature = "wiremock")))]
pub mod mock;
