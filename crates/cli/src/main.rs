//! `ksa`: get tokens, look at the catalog, find endpoints and call OpenStack services with
//! keystoneauth-rs, configured the way the `openstack` command is (`OS_*` variables,
//! `--os-*` flags, clouds.yaml).

mod cache;
mod cli;
mod output;

use std::io::{IsTerminal, Read, Write};
use std::sync::Arc;

use clap::{CommandFactory, Parser};
use keystoneauth::error::MissingOption;
use keystoneauth::http::Method;
use keystoneauth::loading::{self, args::extract_os_args, CloudConfig, LoadOptions, PromptFn};
use keystoneauth::registry::{self, Opt};
use keystoneauth::{AccessInfo, Adapter, AuthPlugin, Error, Session};
use serde_json::{json, Value};

use crate::cache::AuthCache;
use crate::cli::{CatalogCmd, Cli, Cmd, PluginsCmd, TokenCmd, VersionsCmd, KNOWN_FLAGS};
use crate::output::{list, record, Format};

/// Why `ksa` stops.
#[derive(Debug)]
enum Failure {
    /// Bad usage (exit 2).
    Usage(String),
    /// A keystoneauth error (exit 1).
    Ks(Error),
    /// Anything else (exit 1).
    Msg(String),
    /// An HTTP request answered with a failure status; the body was printed (exit 1).
    Status,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match &e {
            Error::OptionError(m) if m.starts_with("unknown option --") => {
                Failure::Usage(m.clone())
            }
            _ => Failure::Ks(e),
        }
    }
}

type Res<T> = Result<T, Failure>;

fn main() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        eprintln!("ksa: internal error: {}", msg.replace('\n', " "));
    }));
    let code = run();
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn run() -> i32 {
    let args: Vec<String> = match std::env::args_os()
        .map(|a| a.into_string())
        .collect::<Result<_, _>>()
    {
        Ok(a) => a,
        Err(_) => {
            eprintln!("ksa: arguments must be valid UTF-8");
            return 2;
        }
    };
    let (extra, rest) = match extract_os_args(&args, KNOWN_FLAGS) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("ksa: {}", one_line(&e.to_string()));
            return 2;
        }
    };
    let cli = match Cli::try_parse_from(&rest) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    if cli.debug {
        init_debug_logging();
    } else {
        init_warning_logging();
    }
    match dispatch(cli, extra) {
        Ok(()) => 0,
        Err(Failure::Usage(m)) => {
            eprintln!("ksa: {}", one_line(&m));
            2
        }
        Err(Failure::Ks(e)) => {
            eprintln!("ksa: {}", one_line(&e.to_string()));
            1
        }
        Err(Failure::Msg(m)) => {
            eprintln!("ksa: {}", one_line(&m));
            1
        }
        Err(Failure::Status) => 1,
    }
}

fn init_debug_logging() {
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::filter::filter_fn(|m| {
        let t = m.target();
        (t.starts_with("keystoneauth") || t.starts_with("ksa"))
            && *m.level() <= tracing::Level::DEBUG
    });
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(true);
    let _ = tracing_subscriber::registry()
        .with(fmt.with_filter(filter))
        .try_init();
}

/// Without `--debug`, the library's warnings still reach the user, one `ksa: warning: …` line
/// each on stderr, as `openstack` shows keystoneauth1's: the device code to enter, a refresh
/// that failed, discovery that fell back, a vendor profile that was not applied.
fn init_warning_logging() {
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::filter::filter_fn(|m| {
        let t = m.target();
        (t.starts_with("keystoneauth") || t.starts_with("ksa"))
            && *m.level() <= tracing::Level::WARN
    });
    let _ = tracing_subscriber::registry()
        .with(WarningLines.with_filter(filter))
        .try_init();
}

/// Writes each event's message, and its other fields, as one `ksa: warning:` line.
struct WarningLines;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for WarningLines {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Line(String);
        impl tracing::field::Visit for Line {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0.insert_str(0, &format!("{value:?}"));
                } else {
                    self.0.push_str(&format!(" ({}: {value:?})", field.name()));
                }
            }
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                if field.name() == "message" {
                    self.0.insert_str(0, value);
                } else {
                    self.0.push_str(&format!(" ({}: {value})", field.name()));
                }
            }
        }
        let mut line = Line(String::new());
        event.record(&mut line);
        eprintln!("ksa: warning: {}", one_line(&line.0));
    }
}

fn print(s: &str) -> Res<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`ksa … | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Msg(format!("cannot write the output: {e}"))),
    }
}

fn dispatch(cli: Cli, extra: Vec<(String, String)>) -> Res<()> {
    match &cli.cmd {
        Cmd::Plugins { cmd, format } => return plugins(cmd.as_ref(), *format),
        Cmd::Completion { shell } => {
            let mut cmd = Cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(*shell, &mut cmd, "ksa", &mut buf);
            return print(&String::from_utf8_lossy(&buf));
        }
        _ => {}
    }
    let flags = cli.load_flags(extra);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Msg(format!("cannot start the runtime: {e}")))?;
    if let Cmd::Discover { url, format } = &cli.cmd {
        let opts = loading::load_session_options(&LoadOptions {
            flags,
            ..Default::default()
        })?;
        let session = opts.builder()?.build()?;
        return rt.block_on(discover(&session, url, *format));
    }
    let config = CloudConfig::load(LoadOptions {
        flags,
        prompt: Some(prompt_fn()),
        ..Default::default()
    })?;
    tracing::debug!(
        auth_type = %config.auth_type,
        cloud = ?config.cloud,
        config_file = ?config.config_file,
        sources = ?config.auth_sources,
        "loaded the configuration"
    );
    let plugin = config.build_plugin()?;
    let cache = if cli.auth_cache {
        AuthCache::open(
            plugin.as_ref(),
            cache::cache_dir(
                std::env::var("XDG_CACHE_HOME").ok(),
                std::env::var("HOME").ok(),
            ),
            config.auth.get("system_scope").as_deref(),
        )
    } else {
        None
    };
    let session = config.session_builder()?.auth(plugin.clone()).build()?;
    let ctx = Ctx {
        config,
        plugin,
        session,
    };
    let result = rt.block_on(command(&ctx, &cli.cmd));
    if let Some(c) = &cache {
        match &result {
            Err(Failure::Ks(Error::Unauthorized(_))) => c.remove(),
            _ => {
                if let Err(e) = c.save(ctx.plugin.as_ref()) {
                    tracing::debug!("cannot write {}: {e}", c.path().display());
                }
            }
        }
    }
    result
}

/// Ask on the terminal when stdin is one; otherwise report the option as missing.
fn prompt_fn() -> PromptFn {
    if std::io::stdin().is_terminal() {
        Arc::new(|opt: &Opt| {
            let text = opt.prompt.unwrap_or("Value: ");
            rpassword::prompt_password(text)
                .map(|v| Some(v).filter(|v| !v.is_empty()))
                .map_err(|e| Error::OptionError(format!("cannot read {}: {e}", opt.name)))
        })
    } else {
        Arc::new(|opt: &Opt| {
            Err(Error::MissingRequiredOptions(vec![MissingOption {
                name: opt.name.to_owned(),
                env: opt.env_vars().remove(0),
            }]))
        })
    }
}

struct Ctx {
    config: CloudConfig,
    plugin: Arc<dyn AuthPlugin>,
    session: Session,
}

impl Ctx {
    async fn access(&self) -> Res<Arc<AccessInfo>> {
        self.plugin.access(&self.session).await?.ok_or_else(|| {
            Failure::Msg(format!(
                "the {} plugin does not issue tokens",
                self.config.auth_type
            ))
        })
    }

    /// The identity v3 API: the catalog's identity endpoint, else the plugin's auth URL.
    async fn identity(&self) -> Res<Adapter> {
        let mut o = self.config.adapter_options("identity")?;
        o.version = Some("3".into());
        let a = o.build(self.session.clone())?;
        match a.endpoint().await {
            Ok(_) => Ok(a),
            Err(Error::EndpointNotFound(_) | Error::EmptyCatalog) => {
                let url = self.plugin.auth_url().ok_or_else(|| {
                    Failure::Msg("no identity endpoint in the catalog and no auth URL".into())
                })?;
                Ok(a.endpoint_override(url))
            }
            Err(e) => Err(e.into()),
        }
    }
}

fn expires_text(a: &AccessInfo) -> String {
    let fmt =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+0000");
    a.expires()
        .to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_default()
}

/// The fields `openstack token issue` prints.
fn token_fields(a: &AccessInfo) -> Vec<(&'static str, Value)> {
    use secrecy::ExposeSecret;
    let mut f = vec![
        ("expires", json!(expires_text(a))),
        ("id", json!(a.auth_token().expose_secret())),
    ];
    if let Some(p) = a.project_id() {
        f.push(("project_id", json!(p)));
    } else if let Some(d) = a.domain_id() {
        f.push(("domain_id", json!(d)));
    } else if a.system_scoped() {
        f.push(("system", json!("all")));
    }
    f.push(("user_id", json!(a.user_id())));
    f
}

fn endpoints_json(s: &keystoneauth::catalog::CatalogService) -> Value {
    Value::Array(
        s.endpoints
            .iter()
            .map(|e| {
                json!({
                    "id": e.id,
                    "interface": e.interface.as_str(),
                    "region_id": e.region,
                    "url": e.url,
                    "region": e.region,
                })
            })
            .collect(),
    )
}

fn endpoints_text(s: &keystoneauth::catalog::CatalogService) -> String {
    s.endpoints
        .iter()
        .map(|e| {
            format!(
                "{}\n  {}: {}",
                e.region.as_deref().unwrap_or(""),
                e.interface.as_str(),
                e.url
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn command(ctx: &Ctx, cmd: &Cmd) -> Res<()> {
    match cmd {
        Cmd::Token { cmd } => match cmd {
            TokenCmd::Issue { format } => {
                let a = ctx.access().await?;
                print(&record(&token_fields(&a), *format))
            }
            TokenCmd::Revoke { token } => {
                let id = ctx.identity().await?;
                id.delete("/auth/tokens")
                    .header("X-Subject-Token", token)
                    .send()
                    .await?;
                Ok(())
            }
            TokenCmd::Validate { token, format } => {
                let id = ctx.identity().await?;
                let resp = id
                    .get("/auth/tokens")
                    .header("X-Subject-Token", token)
                    .send()
                    .await?;
                let a = AccessInfo::from_body(
                    resp.bytes(),
                    Some(secrecy::SecretString::from(token.clone())),
                )?;
                print(&record(&token_fields(&a), *format))
            }
        },
        Cmd::Catalog { cmd } => {
            let a = ctx.access().await?;
            let catalog = a.service_catalog();
            match cmd {
                CatalogCmd::List { format } => {
                    let rows: Vec<Vec<Value>> = catalog
                        .services()
                        .iter()
                        .map(|s| {
                            let eps = if *format == Format::Json {
                                endpoints_json(s)
                            } else {
                                json!(endpoints_text(s))
                            };
                            vec![json!(s.name), json!(s.service_type), eps]
                        })
                        .collect();
                    print(
                        &list(&["Name", "Type", "Endpoints"], &rows, *format)
                            .map_err(Failure::Usage)?,
                    )
                }
                CatalogCmd::Show { service, format } => {
                    let s = catalog
                        .services()
                        .iter()
                        .find(|s| {
                            keystoneauth::service_types::is_match(service, &s.service_type)
                                || s.name.as_deref() == Some(service.as_str())
                        })
                        .ok_or_else(|| {
                            Failure::Msg(format!("service {service} is not in the catalog"))
                        })?;
                    let eps = if *format == Format::Json {
                        endpoints_json(s)
                    } else {
                        json!(endpoints_text(s))
                    };
                    print(&record(
                        &[
                            ("endpoints", eps),
                            ("id", json!(s.id)),
                            ("name", json!(s.name)),
                            ("type", json!(s.service_type)),
                        ],
                        *format,
                    ))
                }
            }
        }
        Cmd::Endpoint {
            service_type,
            interface,
            region,
            version,
        } => {
            let mut o = ctx.config.adapter_options(service_type)?;
            if let Some(i) = interface {
                let l: Vec<String> = i.split(',').map(|s| s.trim().to_owned()).collect();
                o.interfaces = loading::adapter_opts::parse_interfaces(&l)?;
            }
            if let Some(r) = region {
                o.region_name = Some(r.clone());
            }
            if let Some(v) = version {
                o.version = Some(v.clone());
                o.min_version = None;
                o.max_version = None;
            }
            let a = o.build(ctx.session.clone())?;
            let data = if o.version.is_some() {
                a.endpoint_data().await?
            } else {
                keystoneauth::EndpointData::for_url(a.endpoint().await?)
            };
            print(&format!("{}\n", data.url()))
        }
        Cmd::Request {
            method,
            service_type,
            path,
            data,
            microversion,
            headers,
        } => {
            let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                .map_err(|_| Failure::Usage(format!("invalid HTTP method {method}")))?;
            let a = ctx
                .config
                .adapter(&ctx.session, service_type)?
                .raise_exc(false);
            let mut r = a.request(method, path.clone());
            let mut has_ct = false;
            for h in headers {
                let (k, v) = h
                    .split_once(':')
                    .ok_or_else(|| Failure::Usage(format!("header {h:?} is not NAME:VALUE")))?;
                has_ct |= k.trim().eq_ignore_ascii_case("content-type");
                r = r.header(k.trim(), v.trim());
            }
            if let Some(mv) = microversion {
                r = r.microversion(mv.clone());
            }
            if let Some(d) = data {
                let body = read_data(d)?;
                if !has_ct && serde_json::from_slice::<Value>(&body).is_ok() {
                    r = r.header("Content-Type", "application/json");
                }
                r = r.body(body);
            }
            let resp = r.send().await?;
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(resp.bytes());
            if !resp.bytes().is_empty() && !resp.bytes().ends_with(b"\n") && out.is_terminal() {
                let _ = out.write_all(b"\n");
            }
            let _ = out.flush();
            let status = resp.status();
            eprintln!(
                "{} {}{}",
                status.as_u16(),
                status.canonical_reason().unwrap_or(""),
                resp.request_id()
                    .map(|id| format!(" (Request-ID: {id})"))
                    .unwrap_or_default()
            );
            if resp.is_success() || status.is_redirection() {
                Ok(())
            } else {
                Err(Failure::Status)
            }
        }
        Cmd::Versions {
            cmd:
                VersionsCmd::Show {
                    service,
                    interface,
                    region_name,
                    status,
                    format,
                },
        } => {
            let interface = match interface {
                Some(i) => loading::adapter_opts::parse_interfaces(&[i.trim().to_owned()])?.pop(),
                None => ctx.config.interfaces.first().cloned(),
            };
            let query = keystoneauth::discover::VersionQuery {
                interface,
                region_name: region_name.clone(),
                service_type: service.clone(),
            };
            let all = ctx.session.all_version_data(&query).await?;
            let opt = |v: &Option<keystoneauth::version::Version>| match v {
                Some(v) => json!(v.to_string()),
                None => Value::Null,
            };
            let mut rows: Vec<Vec<Value>> = Vec::new();
            for (region, interfaces) in &all {
                for services in interfaces.values() {
                    for (service_type, versions) in services {
                        for v in versions {
                            if status
                                .as_deref()
                                .is_some_and(|s| !s.eq_ignore_ascii_case(&v.status))
                            {
                                continue;
                            }
                            rows.push(vec![
                                json!(region),
                                json!(service_type),
                                json!(v.version.to_string()),
                                json!(v.status),
                                json!(v.url),
                                opt(&v.min_microversion),
                                opt(&v.max_microversion),
                            ]);
                        }
                    }
                }
            }
            print(
                &list(
                    &[
                        "Region Name",
                        "Service Type",
                        "Version",
                        "Status",
                        "Endpoint",
                        "Min Microversion",
                        "Max Microversion",
                    ],
                    &rows,
                    *format,
                )
                .map_err(Failure::Usage)?,
            )
        }
        Cmd::Plugins { .. } | Cmd::Completion { .. } | Cmd::Discover { .. } => Ok(()),
    }
}

fn read_data(d: &str) -> Res<Vec<u8>> {
    if d == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Failure::Msg(format!("cannot read standard input: {e}")))?;
        Ok(buf)
    } else if let Some(path) = d.strip_prefix('@') {
        std::fs::read(path).map_err(|e| Failure::Usage(format!("cannot read {path}: {e}")))
    } else {
        Ok(d.as_bytes().to_vec())
    }
}

async fn discover(session: &Session, url: &str, format: Format) -> Res<()> {
    let d = keystoneauth::discover::Discover::fetch(session, url).await?;
    let opt = |v: &Option<keystoneauth::version::Version>| match v {
        Some(v) => json!(v.to_string()),
        None => Value::Null,
    };
    let rows: Vec<Vec<Value>> = d
        .versions()
        .iter()
        .map(|v| {
            vec![
                json!(v.version.to_string()),
                json!(v.status),
                json!(v.url),
                opt(&v.min_microversion),
                opt(&v.max_microversion),
            ]
        })
        .collect();
    print(
        &list(
            &[
                "Version",
                "Status",
                "URL",
                "Min Microversion",
                "Max Microversion",
            ],
            &rows,
            format,
        )
        .map_err(Failure::Usage)?,
    )
}

fn plugins(cmd: Option<&PluginsCmd>, format: Format) -> Res<()> {
    let names = keystoneauth::registered_plugins();
    match cmd {
        None => {
            let rows: Vec<Vec<Value>> = names
                .iter()
                .filter_map(|n| registry::loader(n).ok())
                .map(|l| vec![json!(l.name), json!(l.description)])
                .collect();
            print(&list(&["Name", "Description"], &rows, format).map_err(Failure::Usage)?)
        }
        Some(PluginsCmd::Show { name, format }) => {
            let l = registry::loader(name)?;
            let rows: Vec<Vec<Value>> = l
                .opts()
                .iter()
                .map(|o| {
                    let json = *format == Format::Json;
                    let joined = |v: Vec<String>| {
                        if json {
                            json!(v)
                        } else {
                            json!(v.join("\n"))
                        }
                    };
                    vec![
                        json!(o.name),
                        joined(o.cli_flags()),
                        joined(o.env_vars()),
                        json!(o.required),
                        json!(o.secret),
                        json!(o.default),
                        json!(o.help),
                    ]
                })
                .collect();
            print(
                &list(
                    &[
                        "Option",
                        "Flags",
                        "Environment",
                        "Required",
                        "Secret",
                        "Default",
                        "Help",
                    ],
                    &rows,
                    *format,
                )
                .map_err(Failure::Usage)?,
            )
        }
    }
}
