//! SAML2: the SimpleSAMLphp IdP (ECP) served by `php -S`, and Apache + mod_auth_mellon as
//! the SP in front of Keystone's saml2 federation auth URL.

use super::{apache, http, proc, Ctx};
use anyhow::{Context, Result};
use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const CONFIG_PHP: &str = include_str!("../../assets/peers/saml/config.php.in");
const AUTHSOURCES_PHP: &str = include_str!("../../assets/peers/saml/authsources.php.in");
const IDP_HOSTED_PHP: &str = include_str!("../../assets/peers/saml/saml20-idp-hosted.php.in");
const SP_REMOTE_PHP: &str = include_str!("../../assets/peers/saml/saml20-sp-remote.php.in");
const SP_METADATA: &str = include_str!("../../assets/peers/saml/sp-metadata.xml.in");
const SSP_WWW: &str = "/usr/share/simplesamlphp/www";

pub const USER: &str = "alice";
pub const PASSWORD: &str = "alice-saml-pw";

pub struct Saml {
    pub idp_entity_id: String,
    pub idp_ecp_url: String,
    pub idp_metadata_url: String,
    pub idp_cert: PathBuf,
    pub sp: apache::Front,
    pub sp_entity_id: String,
}

/// The pieces of the SP both sides need before either starts.
struct SpPlan {
    port: u16,
    protected: String,
    endpoint: String,
    entity_id: String,
    paos_acs: String,
}

fn sp_plan(ctx: &mut Ctx, idp: &str, protocol: &str) -> Result<SpPlan> {
    let port = proc::free_port(&mut ctx.ports)?;
    let protected = format!("/v3/OS-FEDERATION/identity_providers/{idp}/protocols/{protocol}/auth");
    let endpoint = format!("{protected}/mellon");
    Ok(SpPlan {
        entity_id: format!("http://127.0.0.1:{port}{endpoint}/metadata"),
        paos_acs: format!("http://127.0.0.1:{port}{endpoint}/paosResponse"),
        port,
        protected,
        endpoint,
    })
}

pub fn start(
    ctx: &mut Ctx,
    keystone_root: &str,
    environ_header: &str,
    idp: &str,
    protocol: &str,
) -> Result<Saml> {
    proc::need_program("php", "apt-get install php8.2-cli simplesamlphp")?;
    if !PathBuf::from(SSP_WWW).is_dir() {
        anyhow::bail!("{SSP_WWW} missing: apt-get install simplesamlphp");
    }
    let sp = sp_plan(ctx, idp, protocol)?;

    // --- IdP ---------------------------------------------------------------------------
    let d = ctx.root.join("saml-idp");
    let _ = fs::remove_dir_all(&d);
    for sub in [
        "config", "metadata", "cert", "log", "data", "tmp", "sessions",
    ] {
        fs::create_dir_all(d.join(sub))?;
    }
    let port = proc::free_port(&mut ctx.ports)?;
    let (port_s, ds) = (port.to_string(), d.display().to_string());
    let salt = ctx.secret("ssp-salt");
    let idp_cert = d.join("cert/idp.crt");
    proc::self_signed_cert(&idp_cert, &d.join("cert/idp.key"), "ksa-test-saml-idp")?;
    let vars: [(&str, &str); 7] = [
        ("PORT", &port_s),
        ("DIR", &ds),
        ("SALT", &salt),
        ("USER", USER),
        ("PASSWORD", PASSWORD),
        ("SP_ENTITY", &sp.entity_id),
        ("SP_ACS", &sp.paos_acs),
    ];
    proc::write(
        &d.join("config/config.php"),
        proc::render(CONFIG_PHP, &vars)?,
    )?;
    proc::write(
        &d.join("config/authsources.php"),
        proc::render(AUTHSOURCES_PHP, &vars)?,
    )?;
    if let Ok(acl) = fs::read("/etc/simplesamlphp/acl.php") {
        proc::write(&d.join("config/acl.php"), acl)?;
    }
    proc::write(
        &d.join("metadata/saml20-idp-hosted.php"),
        proc::render(IDP_HOSTED_PHP, &vars)?,
    )?;
    proc::write(
        &d.join("metadata/saml20-sp-remote.php"),
        proc::render(SP_REMOTE_PHP, &vars)?,
    )?;
    let mut cmd = Command::new("php");
    cmd.current_dir(&d)
        .args(["-S", &format!("127.0.0.1:{port}"), "-t", SSP_WWW])
        .env("SIMPLESAMLPHP_CONFIG_DIR", d.join("config"));
    let mut srv = proc::spawn(
        "SAML IdP (simplesamlphp, php -S)",
        cmd,
        &d.join("php.log"),
        &d.join("pid"),
        &format!("127.0.0.1:{port}"),
    )?;
    let idp_metadata_url = format!("http://127.0.0.1:{port}/saml2/idp/metadata.php");
    let mut idp_xml = String::new();
    srv.wait_ready(Duration::from_secs(30), || {
        match http::request("GET", &idp_metadata_url, &[], None, &[]) {
            Ok(r) if r.status == 200 && r.body.contains("EntityDescriptor") => {
                idp_xml = r.body;
                true
            }
            _ => false,
        }
    })
    .map_err(|e| e.context(format!("see also {}/log/", d.display())))?;
    // The entityID is the metadata URL; mellon reports it as MELLON_IDP.
    let idp_entity_id = extract_attr(&idp_xml, "entityID").context("IdP metadata: entityID")?;

    // --- SP (mellon) ---------------------------------------------------------------------
    let sd = apache::dir(ctx, "apache-mellon");
    let _ = fs::remove_dir_all(&sd);
    fs::create_dir_all(&sd)?;
    let (sp_crt, sp_key) = (sd.join("sp.crt"), sd.join("sp.key"));
    proc::self_signed_cert(&sp_crt, &sp_key, "ksa-test-mellon-sp")?;
    let cert_b64: String = fs::read_to_string(&sp_crt)?
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let base = format!("http://127.0.0.1:{}{}", sp.port, sp.endpoint);
    proc::write(
        &sd.join("sp.xml"),
        proc::render(
            SP_METADATA,
            &[
                ("ENTITY_ID", &sp.entity_id),
                ("CERT", &cert_b64),
                ("BASE", &base),
            ],
        )?,
    )?;
    proc::write(&sd.join("idp.xml"), &idp_xml)?;
    proc::give_to_www_data(&sp_key)?;
    let sds = sd.display().to_string();
    let body = proc::render(
        apache::MELLON,
        &[
            ("MODULES", apache::MODULES),
            ("DIR", &sds),
            ("ENDPOINT", &sp.endpoint),
            ("PROTECTED", &sp.protected),
            ("KEYSTONE", keystone_root),
            ("ENVIRON_HEADER", environ_header),
        ],
    )?;
    let front = apache::start("Apache mod_auth_mellon", &sd, sp.port, &body, &[])?;
    Ok(Saml {
        idp_entity_id,
        idp_ecp_url: format!("http://127.0.0.1:{port}/saml2/idp/SSOService.php"),
        idp_metadata_url,
        idp_cert,
        sp: front,
        sp_entity_id: sp.entity_id,
    })
}

/// The value of the first `name="..."` attribute in `xml`.
fn extract_attr(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("{name}=\""))? + name.len() + 2;
    let end = xml[start..].find('"')? + start;
    Some(xml[start..end].to_string())
}
