//! `ksa-emulator [--port N]`: runs the identity emulator with the default users, an OpenID
//! Connect identity provider and an ADFS 2.0 one until Ctrl-C. Its WebSSO trusts the default
//! `v3websso` callbacks (`http://localhost:9990/auth/websso/`,
//! `http://127.0.0.1:9990/auth/websso/`).

use keystoneauth_testing::emulator::{
    totp_now, Emulator, FederatedUserSpec, IdentityProviderSpec, DEMO_TOTP_SECRET,
};

const IDP: &str = "ksa-idp";
const ADFS: &str = "ksa-adfs";

#[tokio::main]
async fn main() {
    let mut port = 0u16;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => {
                    eprintln!("--port needs a number");
                    std::process::exit(2);
                }
            },
            "-h" | "--help" => {
                println!("usage: ksa-emulator [--port N]");
                return;
            }
            other => {
                eprintln!("unknown argument {other}; usage: ksa-emulator [--port N]");
                std::process::exit(2);
            }
        }
    }
    let idp = IdentityProviderSpec::new(IDP, "openid")
        .client("ksa-client", "ksa-client-secret")
        .public_client("ksa-cli")
        .user(
            FederatedUserSpec::new("alice")
                .password("alice-pw")
                .group("federated-users")
                .project_role("demo", "member"),
        );
    let adfs = IdentityProviderSpec::new(ADFS, "saml2").adfs().user(
        FederatedUserSpec::new("bob")
            .password("bob-pw")
            .project_role("demo", "member"),
    );
    let emu = match Emulator::builder()
        .default_users()
        .identity_provider(idp)
        .trusted_dashboard("http://localhost:9990/auth/websso/")
        .trusted_dashboard("http://127.0.0.1:9990/auth/websso/")
        .identity_provider(adfs)
        .port(port)
        .start()
        .await
    {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot start the emulator: {e}");
            std::process::exit(1);
        }
    };
    let secret: String = DEMO_TOTP_SECRET
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    println!("identity emulator at {}", emu.url());
    println!("  OS_AUTH_URL={}", emu.auth_url_v3());
    println!("  v2.0:       {}", emu.auth_url_v2());
    println!(
        "  admin / secretadmin    (domain Default, project admin; also domain and system admin)"
    );
    println!("  demo / demopass        (project demo, TOTP secret hex {secret})");
    println!(
        "  mfauser / mfa-pw       (project demo, MFA rule [password, totp], same TOTP secret)"
    );
    println!("  current TOTP passcode: {}", totp_now(DEMO_TOTP_SECRET));
    println!("  external method header: X-Remote-User");
    println!(
        "  OIDC: --os-identity-provider {IDP} --os-protocol openid --os-discovery-endpoint \
         {}/.well-known/openid-configuration",
        emu.oidc_issuer(IDP)
    );
    println!(
        "        client ksa-client / ksa-client-secret (password grant), public client ksa-cli \
         (device grant); alice / alice-pw (federated, member of demo)"
    );
    println!(
        "  WebSSO: --os-auth-type v3websso --os-identity-provider {IDP} --os-protocol openid \
         (callback http://localhost:9990/auth/websso/; log in as alice / alice-pw)"
    );
    println!(
        "  ADFS: --os-auth-type v3adfspassword --os-identity-provider {ADFS} --os-protocol saml2 \
         --os-identity-provider-url {} --os-service-provider-endpoint {} \
         --os-service-provider-entity-id {}",
        emu.adfs_sts_url(ADFS),
        emu.adfs_sp_endpoint(ADFS),
        emu.adfs_sp_entity_id(ADFS)
    );
    println!("        bob / bob-pw (federated, member of demo)");
    println!("Ctrl-C to stop.");
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("cannot wait for Ctrl-C: {e}");
    }
    drop(emu);
}
