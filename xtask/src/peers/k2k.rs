//! Keystone-to-Keystone: a real service provider for the harness Keystone (the IdP).
//!
//! * A SECOND Keystone (`crate::keystone::up` with its own state dir `<peers>/k2k-keystone`,
//!   the shared venv, another free port). Its keystone.conf is the harness one: `saml2` and
//!   `mapped` are in `[auth] methods`; the protocol carries `remote_id_attribute`.
//! * Apache + mod_auth_mellon in front of it (`assets/peers/k2k/mellon-sp.conf.in`), trusting
//!   the first Keystone as SAML2 IdP (its metadata; signing cert = its `[saml] certfile`),
//!   with the PAOS assertion consumer `…/mellon/paosResponse` as the K2K `sp_url`.
//!   mellon accepts Keystone's unsolicited ECP response: lasso checks the assertion's
//!   signature, mellon the Recipient, NotOnOrAfter and replays. The one catch is the ECP
//!   RelayState, which mellon redirects to: Keystone sends `<relay_state_prefix><uuid>`,
//!   and the default prefix `ss:mem:` is refused ("redirect with scheme but no hostname",
//!   HTTP 400); the service provider is registered with the auth URL's path + `?k2k=` as
//!   prefix, so mellon answers 303 to the auth URL.
//! * On the SP Keystone: identity provider `k2k-idp` (remote id = the IdP's entity id), a
//!   mapping (openstack_user in domain `Default` with an openstack_project → a federated user
//!   in group `k2k-federated-users`, `member` on project `k2k-project`), protocol `saml2`.
//! * On the IdP Keystone: service provider `sp1` (auth_url and sp_url through Apache).
//!
//! All idempotent (PUT, 409 → PATCH). `start` ends with the whole chain through curl
//! (token → ECP assertion → mellon → unscoped token → project token on the SP) and a
//! tampered assertion that must be refused.

use super::provision::Keystone;
use super::{apache, http, proc, Ctx};
use crate::keystone;
use crate::util::harness_dir;
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};

const MELLON_CONF: &str = include_str!("../../assets/peers/k2k/mellon-sp.conf.in");
const SP_METADATA: &str = include_str!("../../assets/peers/k2k/sp-metadata.xml.in");
const IDP_METADATA: &str = include_str!("../../assets/peers/k2k/idp-metadata.xml.in");

pub const SP_ID: &str = "sp1";
pub const IDP: &str = "k2k-idp";
pub const PROTOCOL: &str = "saml2";
pub const MAPPING: &str = "k2k-mapping";
pub const PROJECT: &str = "k2k-project";
pub const GROUP: &str = "k2k-federated-users";
pub const ROLE: &str = "member";
/// The state dirs under the peers root (also the `COMPONENTS` entries of `peers down`).
pub const KEYSTONE_DIR: &str = "k2k-keystone";
pub const APACHE_DIR: &str = "k2k-apache";

pub struct K2k {
    /// The `k2k` block of the peers' env.json.
    pub env: Value,
}

/// The SP Keystone's paths: state under the peers root, the harness venv.
pub fn keystone_paths(root: &Path) -> keystone::Paths {
    let state = root.join(KEYSTONE_DIR);
    keystone::Paths {
        venv: harness_dir().join("venv"),
        pki: state.join("pki"),
        app: state.join("app"),
        env_json: state.join("env.json"),
        state,
    }
}

/// `[saml] <key> = value` from a keystone.conf.
fn saml_option(conf: &str, key: &str) -> Option<String> {
    let mut in_saml = false;
    for line in conf.lines().map(str::trim) {
        if line.starts_with('[') {
            in_saml = line == "[saml]";
        } else if in_saml {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == key {
                    return Some(v.trim().to_string());
                }
            }
        }
    }
    None
}

fn pem_body(pem_file: &Path) -> Result<String> {
    Ok(fs::read_to_string(pem_file)
        .with_context(|| format!("read {}", pem_file.display()))?
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect())
}

/// The IdP Keystone's SAML2 metadata: served by Keystone when it has it, else made from
/// its `[saml]` options and signing certificate (what `keystone-manage saml_idp_metadata`
/// writes, minus the organization/contact boilerplate). Returns `(xml, entity_id)`.
fn idp_metadata(idp_env: &Value, idp_root: &str) -> Result<(String, String)> {
    let conf = idp_env["state_dir"]
        .as_str()
        .map(|d| Path::new(d).join("keystone.conf"))
        .and_then(|p| fs::read_to_string(p).ok())
        .unwrap_or_default();
    let entity_id = saml_option(&conf, "idp_entity_id")
        .unwrap_or_else(|| format!("{idp_root}/v3/OS-FEDERATION/saml2/idp"));
    let url = format!("{idp_root}/v3/OS-FEDERATION/saml2/metadata");
    if let Ok(r) = http::request("GET", &url, &[], None, &[]) {
        if r.status == 200 && r.body.contains("EntityDescriptor") && r.body.contains(&entity_id) {
            return Ok((r.body, entity_id));
        }
    }
    let sso = saml_option(&conf, "idp_sso_endpoint")
        .unwrap_or_else(|| format!("{idp_root}/v3/OS-FEDERATION/saml2/sso"));
    let cert = idp_env["saml_idp_cert"]
        .as_str()
        .map(PathBuf::from)
        .or_else(|| saml_option(&conf, "certfile").map(PathBuf::from))
        .context("keystone env.json: saml_idp_cert (the IdP's [saml] certfile)")?;
    let xml = proc::render(
        IDP_METADATA,
        &[
            ("ENTITY_ID", &entity_id),
            ("CERT", &pem_body(&cert)?),
            ("SSO", &sso),
        ],
    )?;
    Ok((xml, entity_id))
}

/// Starts the SP Keystone and its mellon front end, provisions both Keystones, and checks
/// the whole K2K chain. `idp_env` is the IdP (harness) Keystone's env.json.
pub fn start(ctx: &mut Ctx, idp_env: &Value, environ_header: &str) -> Result<K2k> {
    if std::env::var("KSA_KEYSTONE_PORT").is_ok_and(|v| !v.trim().is_empty()) {
        bail!(
            "K2K: KSA_KEYSTONE_PORT is set, and the service-provider Keystone would take the \
             same port as the harness Keystone; unset it for `peers up`"
        );
    }
    let idp_base = idp_env["auth_url"]
        .as_str()
        .context("keystone env.json: auth_url")?
        .trim_end_matches('/')
        .to_string();
    let idp_root = idp_env["root_url"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| idp_base.trim_end_matches("/v3").to_string());
    let p = |p: &Path| p.display().to_string();

    // --- the second Keystone -----------------------------------------------------------
    let paths = keystone_paths(&ctx.root);
    let up = keystone::up(&paths, false).with_context(|| {
        format!(
            "K2K service-provider Keystone (logs {}/keystone.log, gunicorn-http.log)",
            paths.state.display()
        )
    })?;
    let sp_env: Value = serde_json::from_str(&fs::read_to_string(&up.env_json)?)
        .with_context(|| format!("parse {}", up.env_json.display()))?;
    let sp_root = sp_env["root_url"]
        .as_str()
        .context("SP env.json: root_url")?
        .to_string();
    let sp_base = format!("{sp_root}/v3");
    if sp_root == idp_root {
        bail!("K2K: the service-provider Keystone answers on the IdP's URL {sp_root}");
    }
    // A pid file in the `peers` format, so `peers down`/`status` handle it like the others.
    let gunicorn_pid = fs::read_to_string(paths.state.join("gunicorn-http.pid"))
        .context("SP Keystone: gunicorn-http.pid")?;
    proc::write(
        &paths.state.join("pid"),
        format!("{}\n{}\n", gunicorn_pid.trim(), paths.app.display()),
    )?;
    let sp_ks_log = paths.state.join("keystone.log");

    // --- mellon in front of it -----------------------------------------------------------
    let (idp_xml, idp_entity_id) = idp_metadata(idp_env, &idp_root)?;
    let d = apache::dir(ctx, APACHE_DIR);
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d)?;
    let port = proc::free_port(&mut ctx.ports)?;
    let front = format!("http://127.0.0.1:{port}");
    let protected = format!("/v3/OS-FEDERATION/identity_providers/{IDP}/protocols/{PROTOCOL}/auth");
    let endpoint = format!("{protected}/mellon");
    let sp_entity_id = format!("{front}{endpoint}/metadata");
    let sp_url = format!("{front}{endpoint}/paosResponse");
    let sp_auth_url = format!("{front}{protected}");
    // mellon redirects to the ECP RelayState = prefix + uuid: a relative URL to the auth URL.
    let relay_state_prefix = format!("{protected}?k2k=");
    let (sp_crt, sp_key) = (d.join("sp.crt"), d.join("sp.key"));
    proc::self_signed_cert(&sp_crt, &sp_key, "ksa-test-k2k-mellon-sp")?;
    proc::write(
        &d.join("sp.xml"),
        proc::render(
            SP_METADATA,
            &[
                ("ENTITY_ID", &sp_entity_id),
                ("CERT", &pem_body(&sp_crt)?),
                ("BASE", &format!("{front}{endpoint}")),
            ],
        )?,
    )?;
    proc::write(&d.join("idp.xml"), &idp_xml)?;
    proc::give_to_www_data(&sp_key)?;
    let body = proc::render(
        MELLON_CONF,
        &[
            ("MODULES", apache::MODULES),
            ("DIR", &p(&d)),
            ("ENDPOINT", &endpoint),
            ("PROTECTED", &protected),
            ("KEYSTONE", &sp_root),
            ("ENVIRON_HEADER", environ_header),
        ],
    )?;
    let apache = apache::start("Apache mod_auth_mellon (K2K SP)", &d, port, &body, &[])?;
    let front_log = apache.dir.join("error.log");

    // --- the SP Keystone: project, group, IdP, mapping, protocol ---------------------------
    let sp = Keystone::login(&sp_env)?;
    let project_id = sp.ensure(
        "projects",
        "project",
        json!({"name": PROJECT, "domain_id": "default",
               "description": "cargo xtask peers: K2K users from the harness Keystone"}),
    )?;
    let group_id = sp.ensure(
        "groups",
        "group",
        json!({"name": GROUP, "domain_id": "default",
               "description": "cargo xtask peers: the K2K mapping puts users here"}),
    )?;
    let v = sp.ok("GET", &format!("/roles?name={ROLE}"), None)?;
    let role_id = v["roles"][0]["id"]
        .as_str()
        .with_context(|| format!("SP Keystone: role `{ROLE}` not found"))?
        .to_string();
    sp.ok(
        "PUT",
        &format!("/projects/{project_id}/groups/{group_id}/roles/{role_id}"),
        None,
    )?;
    // Keystone's K2K assertion: openstack_user, openstack_user_domain (name),
    // openstack_roles, openstack_project, openstack_project_domain.
    let rules = json!([{
        "local": [{"user": {"name": "{0}"}}, {"group": {"id": group_id}}],
        "remote": [
            {"type": "HTTP_X_FED_USER"},
            {"type": "HTTP_X_FED_USER_DOMAIN", "any_one_of": ["Default"]},
            {"type": "HTTP_X_FED_PROJECT"}
        ]
    }]);
    sp.put_or_patch(
        &format!("/OS-FEDERATION/mappings/{MAPPING}"),
        "mapping",
        json!({ "rules": rules }),
    )?;
    sp.put_or_patch(
        &format!("/OS-FEDERATION/identity_providers/{IDP}"),
        "identity_provider",
        json!({"enabled": true, "remote_ids": [idp_entity_id],
               "description": "cargo xtask peers: the harness Keystone (K2K)"}),
    )?;
    sp.put_or_patch(
        &format!("/OS-FEDERATION/identity_providers/{IDP}/protocols/{PROTOCOL}"),
        "protocol",
        json!({"mapping_id": MAPPING, "remote_id_attribute": "HTTP_X_FED_IDP"}),
    )?;

    // --- the IdP Keystone: the service provider ----------------------------------------------
    let idp = Keystone::login(idp_env)?;
    idp.put_or_patch(
        &format!("/OS-FEDERATION/service_providers/{SP_ID}"),
        "service_provider",
        json!({"enabled": true, "auth_url": sp_auth_url, "sp_url": sp_url,
               "relay_state_prefix": relay_state_prefix,
               "description": "cargo xtask peers: the K2K Keystone behind mod_auth_mellon"}),
    )?;

    // --- the whole chain, and a tampered assertion --------------------------------------------
    let logs = format!(
        "logs {}, {}, {}",
        front_log.display(),
        sp_ks_log.display(),
        idp_env["keystone_log"].as_str().unwrap_or("keystone.log")
    );
    check(&idp, &sp_url, &sp_auth_url, &sp_base, &project_id, &d)
        .with_context(|| format!("K2K chain ({logs})"))?;

    Ok(K2k {
        env: json!({
            "service_provider": SP_ID,
            "sp_url": sp_url,
            "sp_auth_url": sp_auth_url,
            "relay_state_prefix": relay_state_prefix,
            "sp_frontend_auth_url": format!("{front}/v3"),
            "sp_keystone_auth_url": sp_base,
            "sp_keystone_env": p(&up.env_json),
            "sp_admin_username": sp_env["admin_username"],
            "sp_admin_password": sp_env["admin_password"],
            "sp_admin_project_name": sp_env["admin_project_name"],
            "sp_admin_domain_id": "default",
            "idp_auth_url": idp_base,
            "idp_entity_id": idp_entity_id,
            "idp_cert": idp_env["saml_idp_cert"],
            "sp_entity_id": sp_entity_id,
            "identity_provider": IDP,
            "protocol": PROTOCOL,
            "mapping": MAPPING,
            "project_name": PROJECT,
            "project_id": project_id,
            "project_domain_id": "default",
            "group_name": GROUP,
            "group_id": group_id,
            "role_name": ROLE,
            "frontend_log": p(&front_log),
            "sp_keystone_log": p(&sp_ks_log),
        }),
    })
}

/// The ECP-wrapped assertion for the service provider, from the IdP with `idp`'s token.
fn ecp_assertion(idp: &Keystone) -> Result<String> {
    let body = json!({"auth": {
        "identity": {"methods": ["token"], "token": {"id": idp.token}},
        "scope": {"service_provider": {"id": SP_ID}}}});
    let r = http::request(
        "POST",
        &format!("{}/auth/OS-FEDERATION/saml2/ecp", idp.base),
        &[("Content-Type", "application/json")],
        Some(&body.to_string()),
        &[],
    )?;
    if r.status != 200 || !r.body.contains("SignatureValue") {
        bail!(
            "IdP: POST /auth/OS-FEDERATION/saml2/ecp: HTTP {}: {}",
            r.status,
            proc::tail(&r.body, 5)
        );
    }
    Ok(r.body)
}

fn check(
    idp: &Keystone,
    sp_url: &str,
    sp_auth_url: &str,
    sp_base: &str,
    project_id: &str,
    dir: &Path,
) -> Result<()> {
    let paos = [("Content-Type", "application/vnd.paos+xml")];
    let jar = dir.join("check-cookies.txt");
    let _ = fs::remove_file(&jar);
    let jar_s = jar.display().to_string();

    // A tampered assertion (another user name, signature unchanged) is refused, no session.
    let good = ecp_assertion(idp)?;
    let user = ">admin</saml:AttributeValue>";
    let bad = good.replacen(user, ">mallory</saml:AttributeValue>", 1);
    if bad == good {
        bail!("the IdP's assertion has no openstack_user `admin` to tamper with");
    }
    let r = http::request("POST", sp_url, &paos, Some(&bad), &["-c", &jar_s])?;
    if r.status < 400 {
        bail!("mellon accepted a tampered assertion: HTTP {}", r.status);
    }
    let r = http::request("GET", sp_auth_url, &[], None, &["-b", &jar_s])?;
    if r.status == 201 || r.header("X-Subject-Token").is_some() {
        bail!("a token without a valid assertion: HTTP {}", r.status);
    }

    // The real one: 303 + session cookie, then the unscoped token, then the project.
    let _ = fs::remove_file(&jar);
    let r = http::request("POST", sp_url, &paos, Some(&good), &["-c", &jar_s])?;
    if !matches!(r.status, 302 | 303) {
        bail!(
            "mellon refused the IdP's assertion: HTTP {}: {}",
            r.status,
            proc::tail(&r.body, 5)
        );
    }
    let r = http::request("GET", sp_auth_url, &[], None, &["-b", &jar_s])?;
    let unscoped = match (r.status, r.header("X-Subject-Token")) {
        (201, Some(t)) => t.to_string(),
        _ => bail!("GET {sp_auth_url}: HTTP {}: {}", r.status, r.body),
    };
    let v = r.json()?;
    if v["token"]["user"]["OS-FEDERATION"]["identity_provider"]["id"] != IDP {
        bail!("the SP's token is not federated through {IDP}: {v}");
    }
    super::provision::scope(sp_base, &unscoped, project_id)?;

    // The same assertion again: a replay.
    let r = http::request("POST", sp_url, &paos, Some(&good), &[])?;
    if r.status < 400 {
        bail!("mellon accepted a replayed assertion: HTTP {}", r.status);
    }
    let _ = fs::remove_file(&jar);
    Ok(())
}
