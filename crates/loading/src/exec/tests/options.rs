//! The options: `command`, `env` and `timeout` as text, the registration, and how unusable
//! output is described.

use super::super::command::describe_output;
use super::*;

#[test]
fn command_forms() {
    assert_eq!(
        parse_command(" [\"a b\", \"c,d\"] ").unwrap(),
        vec!["a b", "c,d"]
    );
    assert_eq!(
        parse_command("sh, -c ,echo hi").unwrap(),
        vec!["sh", "-c", "echo hi"]
    );
    assert!(matches!(
        parse_command("[\"unterminated\""),
        Err(Error::OptionError(_))
    ));
    assert!(matches!(parse_command("[]"), Err(Error::OptionError(_))));
    assert!(matches!(parse_command(" , "), Err(Error::OptionError(_))));
    assert!(matches!(
        ExecPlugin::new(Vec::<String>::new()),
        Err(Error::OptionError(_))
    ));
}

#[test]
fn env_and_timeout_forms() {
    let names = |v: Vec<(String, SecretString)>| {
        v.into_iter()
            .map(|(k, v)| format!("{k}={}", v.expose_secret()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(parse_env(r#"{"A": "1", "B": 2}"#).unwrap()),
        vec!["A=1", "B=2"]
    );
    assert_eq!(
        names(parse_env("A=1, B=x=y").unwrap()),
        vec!["A=1", "B=x=y"]
    );
    assert_eq!(names(parse_env(r#"["A=1,2"]"#).unwrap()), vec!["A=1,2"]);
    let e = parse_env("A=1,VAULT_TOKEN:s.hunter2").unwrap_err();
    assert!(matches!(e, Error::OptionError(_)), "{e}");
    assert!(
        e.to_string().contains("item 2") && !e.to_string().contains("hunter2"),
        "{e}"
    );
    assert!(parse_env(r#"{"A": {"x": 1}}"#).is_err());
    assert!(parse_env("=v").is_err());
    assert_eq!(parse_timeout("2.5").unwrap(), Duration::from_millis(2500));
    for bad in ["0", "-1", "abc", "1e9", "NaN"] {
        assert!(
            matches!(parse_timeout(bad), Err(Error::OptionError(_))),
            "{bad}"
        );
    }
}

#[test]
fn from_options_and_debug_show_no_values() {
    let values = OptionValues::new()
        .with("command", r#"["/usr/bin/vault", "kv", "get", "secret/x"]"#)
        .with("timeout", "7")
        .with("env", r#"{"VAULT_TOKEN": "s.hunter2hunter2"}"#)
        .with("auth_url", "http://127.0.0.1:1/v3");
    let p = ExecPlugin::from_options(&values).unwrap();
    assert_eq!(p.command().program(), "/usr/bin/vault");
    assert_eq!(p.command().timeout(), Duration::from_secs(7));
    let dbg = format!("{p:?}");
    assert!(
        dbg.contains("/usr/bin/vault") && dbg.contains("VAULT_TOKEN"),
        "{dbg}"
    );
    assert!(
        !dbg.contains("hunter2") && !dbg.contains("secret/x"),
        "{dbg}"
    );
    assert!(ExecPlugin::from_options(&OptionValues::new()).is_err());
}

#[test]
fn registered_as_exec() {
    let loader = keystoneauth_core::registry::loader("exec").unwrap();
    let opts = loader.opts();
    let cmd = opts.iter().find(|o| o.dest() == "command").unwrap();
    assert_eq!(cmd.env_vars(), vec!["OS_EXEC_COMMAND"]);
    assert_eq!(cmd.cli_flags(), vec!["--os-exec-command"]);
    let e = loader.load(&OptionValues::new()).unwrap_err();
    assert!(err_text(&e).contains("OS_EXEC_COMMAND"), "{e}");
}

#[test]
fn unusable_output_is_described_without_secrets() {
    let d = describe_output(b"gAAAAABlveryLongTokenValue1234567890\n");
    assert!(!d.contains("gAAAA") && d.contains("one word"), "{d}");
    let d = describe_output(b"hunter2\nusername: demo\nurl: https://x\n");
    assert!(
        !d.contains("hunter2") && d.contains("username: demo"),
        "{d}"
    );
    let d = describe_output(b"Error: vault is sealed, token=abc123 password: s3cr3t ok\n");
    assert!(d.contains("vault is sealed"), "{d}");
    assert!(!d.contains("abc123") && !d.contains("s3cr3t"), "{d}");
    let d = describe_output(br#"{"version": 1, "token": "hunter2""#);
    assert!(
        !d.contains("hunter2") && d.contains("look like JSON"),
        "{d}"
    );
    let d = describe_output("x ".repeat(500).as_bytes());
    assert!(d.chars().count() < 250, "{d}");
}
