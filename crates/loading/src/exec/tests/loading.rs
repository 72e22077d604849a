//! The plugin loaded by name from `OS_*` variables and clouds.yaml.

use super::*;

#[tokio::test]
async fn loaded_from_os_variables() {
    let d = Dir::new();
    let script = d.printing(&token_doc("tok-env-1", Duration::from_secs(3600)));
    let env = [
        ("OS_AUTH_TYPE", "exec".to_owned()),
        ("OS_EXEC_COMMAND", json!([script]).to_string()),
        ("OS_EXEC_TIMEOUT", "9".to_owned()),
    ];
    let cloud = crate::CloudConfig::load(crate::LoadOptions {
        env: Some(env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
        config_files: Some(Vec::new()),
        secure_files: Some(Vec::new()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(cloud.auth_type, "exec");
    let s = cloud.build_session().unwrap();
    assert_eq!(
        auth_token(&s.auth_headers().await.unwrap().unwrap()),
        "tok-env-1"
    );
    // The simple form: words separated by spaces.
    let env = [
        ("OS_AUTH_TYPE", "exec".to_owned()),
        ("OS_EXEC_COMMAND", format!("/bin/sh {script}")),
    ];
    let cloud = crate::CloudConfig::load(crate::LoadOptions {
        env: Some(env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
        config_files: Some(Vec::new()),
        secure_files: Some(Vec::new()),
        ..Default::default()
    })
    .unwrap();
    let s = cloud.build_session().unwrap();
    assert_eq!(
        auth_token(&s.auth_headers().await.unwrap().unwrap()),
        "tok-env-1"
    );
}

#[tokio::test]
async fn loaded_from_clouds_yaml_with_a_list_env_and_timeout() {
    let d = Dir::new();
    let script = d.script(
        "args",
        "printf '{\"version\":1,\"token\":\"%s|%s|%s\",\"expires_at\":\"%s\"}' \"$1\" \"$2\" \"$KSA_YAML_VAR\" \"$EXP\"",
    );
    let clouds = format!(
        "clouds:\n  c:\n    auth_type: exec\n    auth:\n      command: [{script}, plain, \"a,b\"]\n      \
         timeout: 5\n      env:\n        KSA_YAML_VAR: from-yaml\n        EXP: \"{}\"\n",
        rfc3339_in(Duration::from_secs(3600))
    );
    std::fs::write(d.path("clouds.yaml"), clouds).unwrap();
    let cloud = crate::CloudConfig::load(crate::LoadOptions {
        cloud: Some("c".into()),
        env: Some(Default::default()),
        config_files: Some(vec![d.path("clouds.yaml")]),
        secure_files: Some(Vec::new()),
        ..Default::default()
    })
    .unwrap();
    let s = cloud.build_session().unwrap();
    assert_eq!(
        auth_token(&s.auth_headers().await.unwrap().unwrap()),
        "plain|a,b|from-yaml"
    );
    // The same list without commas arrives comma-joined and is split back.
    let clouds = format!(
        "clouds:\n  c:\n    auth_type: exec\n    auth:\n      command: [/bin/sh, {script}, x, y]\n      \
         env: [\"KSA_YAML_VAR=v2\", \"EXP={}\"]\n",
        rfc3339_in(Duration::from_secs(3600))
    );
    std::fs::write(d.path("clouds.yaml"), clouds).unwrap();
    let cloud = crate::CloudConfig::load(crate::LoadOptions {
        cloud: Some("c".into()),
        env: Some(Default::default()),
        config_files: Some(vec![d.path("clouds.yaml")]),
        secure_files: Some(Vec::new()),
        ..Default::default()
    })
    .unwrap();
    let s = cloud.build_session().unwrap();
    assert_eq!(
        auth_token(&s.auth_headers().await.unwrap().unwrap()),
        "x|y|v2"
    );
}
