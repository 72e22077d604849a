//! [`GssapiTokenSource`]: `Negotiate` tokens from the system GSSAPI library, and the error
//! that says how to get a ticket.

use super::KerberosError;
use std::fmt;
use std::sync::Arc;

use keystoneauth_core::{Error, Result};

use super::negotiate::{NegotiateContext, NegotiateTokenSource};

/// `Negotiate` tokens from the system GSSAPI library (MIT krb5), SPNEGO mechanism (as
/// requests-kerberos), with the initiator ticket of the default credential cache.
#[derive(Debug, Clone, Copy, Default)]
pub struct GssapiTokenSource;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// The error for "no usable ticket": names kinit, KRB5CCNAME and KRB5_CONFIG.
fn no_ticket_error(service: &str, cause: impl fmt::Display) -> Error {
    KerberosError::error(format!(
        "no usable Kerberos ticket to authenticate to {service} ({cause}). Get one with \
         `kinit <principal>` first; the credential cache is KRB5CCNAME ({}) and the Kerberos \
         configuration is KRB5_CONFIG ({})",
        env_or("KRB5CCNAME", "unset: the default cache"),
        env_or("KRB5_CONFIG", "unset: /etc/krb5.conf"),
    ))
}

struct GssapiContext {
    ctx: libgssapi::context::ClientCtx,
}

impl NegotiateContext for GssapiContext {
    fn step(&mut self, server_token: &[u8]) -> Result<Option<Vec<u8>>> {
        self.ctx
            .step(Some(server_token), None)
            .map(|t| t.map(|b| b.to_vec()))
            .map_err(|e| {
                KerberosError::error(format!("the server's Negotiate token was refused: {e}"))
            })
    }

    fn is_complete(&self) -> bool {
        use libgssapi::context::SecurityContext as _;
        self.ctx.is_complete()
    }
}

impl NegotiateTokenSource for GssapiTokenSource {
    fn initiate(&self, host: &str, mutual: bool) -> Result<(Box<dyn NegotiateContext>, Vec<u8>)> {
        use libgssapi::context::{ClientCtx, CtxFlags};
        use libgssapi::credential::{Cred, CredUsage};
        use libgssapi::error::MajorFlags;
        use libgssapi::name::Name;
        use libgssapi::oid::{OidSet, GSS_MECH_SPNEGO, GSS_NT_HOSTBASED_SERVICE};

        let service = format!("HTTP@{host}");
        let gss = |what: &str, e: libgssapi::error::Error| {
            KerberosError::error(format!("GSSAPI {what} for {service} failed: {e}"))
        };
        let name = Name::new(service.as_bytes(), Some(GSS_NT_HOSTBASED_SERVICE))
            .map_err(|e| gss("import_name", e))?;
        let mechs = OidSet::singleton(GSS_MECH_SPNEGO).map_err(|e| gss("OID set", e))?;
        let cred = Cred::acquire(None, None, CredUsage::Initiate, Some(&mechs))
            .map_err(|e| no_ticket_error(&service, e))?;
        let mut flags = CtxFlags::GSS_C_SEQUENCE_FLAG;
        if mutual {
            flags |= CtxFlags::GSS_C_MUTUAL_FLAG;
        }
        let mut ctx = ClientCtx::new(Some(cred), name, flags, Some(GSS_MECH_SPNEGO));
        let token = ctx.step(None, None).map_err(|e| {
            if e.major.intersects(
                MajorFlags::GSS_S_NO_CRED
                    | MajorFlags::GSS_S_CREDENTIALS_EXPIRED
                    | MajorFlags::GSS_S_DEFECTIVE_CREDENTIAL,
            ) {
                no_ticket_error(&service, e)
            } else {
                gss("init_sec_context", e)
            }
        })?;
        let token = token
            .map(|b| b.to_vec())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                KerberosError::error(format!("GSSAPI gave no initial token for {service}"))
            })?;
        Ok((Box::new(GssapiContext { ctx }), token))
    }
}

/// The system GSSAPI, the plugins' default source.
pub(super) fn default_source() -> Arc<dyn NegotiateTokenSource> {
    Arc::new(GssapiTokenSource)
}
