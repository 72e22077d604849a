//! Kerberos: a throw-away MIT krb5 realm (KDC on a free 127.0.0.1 port) and Apache +
//! mod_auth_gssapi in front of Keystone.

use super::{apache, proc, Ctx};
use anyhow::{Context, Result};
use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const KRB5_CONF: &str = include_str!("../../assets/peers/krb/krb5.conf.in");
const KDC_CONF: &str = include_str!("../../assets/peers/krb/kdc.conf.in");

pub const REALM: &str = "KSA.TEST";
/// The test user: a principal, and a local Keystone user of the same (local) name.
pub const USER: &str = "kerbuser";
pub const PASSWORD: &str = "kerbuser-krb-pw";

pub struct Realm {
    pub dir: PathBuf,
    pub krb5_config: PathBuf,
    pub kdc_profile: PathBuf,
    pub kdc_port: u16,
    pub ccache: PathBuf,
    pub user_keytab: PathBuf,
    pub http_keytab: PathBuf,
}

impl Realm {
    fn cmd(&self, prog: &str) -> Command {
        let mut c = Command::new(prog);
        c.current_dir(&self.dir)
            .env("KRB5_CONFIG", &self.krb5_config)
            .env("KRB5_KDC_PROFILE", &self.kdc_profile)
            .env("KRB5CCNAME", format!("FILE:{}", self.ccache.display()));
        c
    }

    fn kadmin(&self, query: &str) -> Result<()> {
        let mut c = self.cmd("kadmin.local");
        c.args(["-r", REALM, "-q", query]);
        let out = proc::run(c, Duration::from_secs(30))?;
        // kadmin.local exits 0 even when the query failed; it reports on stdout/stderr.
        if out.contains("error") || out.contains("Error") {
            anyhow::bail!("kadmin.local -q {query:?}: {out}");
        }
        Ok(())
    }
}

pub fn start_kdc(ctx: &mut Ctx) -> Result<Realm> {
    for p in ["krb5kdc", "kdb5_util", "kadmin.local", "kinit"] {
        proc::need_program(p, "apt-get install krb5-kdc krb5-admin-server krb5-user")?;
    }
    let d = ctx.root.join("krb");
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d)?;
    let kdc_port = proc::free_port(&mut ctx.ports)?;
    let kadmin_port = proc::free_port(&mut ctx.ports)?;
    let kpasswd_port = proc::free_port(&mut ctx.ports)?;
    let (ds, kp, ap, pp) = (
        d.display().to_string(),
        kdc_port.to_string(),
        kadmin_port.to_string(),
        kpasswd_port.to_string(),
    );
    let vars = [
        ("REALM", REALM),
        ("DIR", &ds),
        ("KDC_PORT", &kp),
        ("KADMIN_PORT", &ap),
        ("KPASSWD_PORT", &pp),
    ];
    let realm = Realm {
        krb5_config: d.join("krb5.conf"),
        kdc_profile: d.join("kdc.conf"),
        ccache: d.join("ccache"),
        user_keytab: d.join("user.keytab"),
        http_keytab: d.join("http.keytab"),
        dir: d.clone(),
        kdc_port,
    };
    proc::write(&realm.krb5_config, proc::render(KRB5_CONF, &vars)?)?;
    proc::write(&realm.kdc_profile, proc::render(KDC_CONF, &vars)?)?;
    proc::write(&d.join("kadm5.acl"), format!("*/admin@{REALM} *\n"))?;

    let master = ctx.secret("kdc-master");
    let mut c = realm.cmd("kdb5_util");
    c.args(["create", "-s", "-r", REALM, "-P", &master]);
    proc::run(c, Duration::from_secs(60)).context("kdb5_util create")?;
    realm.kadmin(&format!("addprinc -pw {PASSWORD} {USER}"))?;
    realm.kadmin("addprinc -randkey HTTP/localhost")?;
    realm.kadmin("addprinc -randkey HTTP/127.0.0.1")?;
    realm.kadmin(&format!(
        "ktadd -k {} HTTP/localhost HTTP/127.0.0.1",
        realm.http_keytab.display()
    ))?;
    // -norandkey keeps the password valid next to the keytab.
    realm.kadmin(&format!(
        "ktadd -norandkey -k {} {USER}",
        realm.user_keytab.display()
    ))?;

    let mut kdc = realm.cmd("krb5kdc");
    kdc.args(["-n", "-r", REALM, "-P"])
        .arg(d.join("krb5kdc.pid"));
    let mut srv = proc::spawn(
        "Kerberos KDC (krb5kdc)",
        kdc,
        &d.join("krb5kdc.out"),
        &d.join("pid"),
        "krb5kdc",
    )?;
    srv.wait_ready(Duration::from_secs(20), || proc::port_open(kdc_port))
        .map_err(|e| e.context(format!("see also {}", d.join("kdc.log").display())))?;
    // Self-check, and a ready credential cache for the tests: kinit with the password.
    let mut k = realm.cmd("kinit");
    k.arg(format!("{USER}@{REALM}"));
    proc::run_with_input(k, &format!("{PASSWORD}\n"), Duration::from_secs(20))
        .with_context(|| format!("kinit {USER}; KDC log {}", d.join("kdc.log").display()))?;
    Ok(realm)
}

pub fn start_front(
    ctx: &mut Ctx,
    realm: &Realm,
    keystone_root: &str,
    environ_header: &str,
    idp: &str,
    protocol: &str,
) -> Result<apache::Front> {
    let sd = apache::dir(ctx, "apache-gssapi");
    let _ = fs::remove_dir_all(&sd);
    fs::create_dir_all(&sd)?;
    let keytab = sd.join("http.keytab");
    fs::copy(&realm.http_keytab, &keytab)?;
    proc::give_to_www_data(&keytab)?;
    let port = proc::free_port(&mut ctx.ports)?;
    let sds = sd.display().to_string();
    let body = proc::render(
        apache::GSSAPI,
        &[
            ("MODULES", apache::MODULES),
            ("DIR", &sds),
            ("IDP", idp),
            ("PROTOCOL", protocol),
            ("KEYSTONE", keystone_root),
            ("ENVIRON_HEADER", environ_header),
        ],
    )?;
    apache::start(
        "Apache mod_auth_gssapi",
        &sd,
        port,
        &body,
        &[("KRB5_CONFIG", realm.krb5_config.as_path())],
    )
}

impl Realm {
    /// Environment for Kerberos clients of this realm.
    pub fn client_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("KRB5_CONFIG", self.krb5_config.display().to_string()),
            ("KRB5CCNAME", format!("FILE:{}", self.ccache.display())),
        ]
    }
}
