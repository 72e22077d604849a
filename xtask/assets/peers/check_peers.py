"""Cross-check `cargo xtask peers up` with the Python reference client (keystoneauth1).

usage: python check_peers.py $KSA_PEERS_ENV [oidc] [saml] [krb]
Needs a venv with `keystoneauth1 lxml requests-kerberos` (requests-kerberos builds
pip `gssapi` from source: libkrb5-dev + gcc, ~4 min) and, for krb, `source <peers>/env.sh`.
Each flow must print "scoped token ok"; wrong passwords must fail.
"""
import json, sys, time
import requests
from keystoneauth1 import session
from keystoneauth1.identity.v3 import oidc
from keystoneauth1.extras import _saml2
E = json.load(open(sys.argv[1]))
which = sys.argv[2:] or ["oidc", "saml", "krb"]
proj = dict(project_name=E["project_name"], project_domain_id=E["project_domain_id"])
def show(name, p, s):
    t = time.time(); ref = p.get_access(s)
    print("%-34s scoped token ok: user=%s project=%s roles=%s methods=%s fed=%s (%.2fs)" % (name, ref.username, ref.project_name, ref.role_names, ref._data["token"]["methods"], ref._data["token"]["user"].get("OS-FEDERATION", {}).get("identity_provider"), time.time()-t))
if "oidc" in which:
    O = E["oidc"]
    common = dict(auth_url=O["auth_url"], identity_provider=O["identity_provider"], protocol=O["protocol"], discovery_endpoint=O["discovery_url"], **proj)
    show("OidcPassword", oidc.OidcPassword(client_id=O["client_id"], client_secret=O["client_secret"], username=O["username"], password=O["password"], scope=O["scope"], **common), session.Session(verify=O["ca_file"]))
    show("OidcClientCredentials", oidc.OidcClientCredentials(client_id=O["cc_client_id"], client_secret=O["cc_client_secret"], scope="openid", **common), session.Session(verify=O["ca_file"]))
    try:
        oidc.OidcPassword(client_id=O["client_id"], client_secret=O["client_secret"], username=O["username"], password="wrong", **common).get_access(session.Session(verify=O["ca_file"]))
        print("OidcPassword wrong password: UNEXPECTED success")
    except Exception as e:
        print("OidcPassword wrong password -> %s" % type(e).__name__)
if "saml" in which:
    S = E["saml"]
    show("V3Saml2Password (ECP via mellon)", _saml2.V3Saml2Password(auth_url=S["auth_url"], identity_provider=S["identity_provider"], protocol=S["protocol"], identity_provider_url=S["idp_ecp_url"], username=S["username"], password=S["password"], **proj), session.Session())
    try:
        _saml2.V3Saml2Password(auth_url=S["auth_url"], identity_provider=S["identity_provider"], protocol=S["protocol"], identity_provider_url=S["idp_ecp_url"], username=S["username"], password="wrong", **proj).get_access(session.Session())
        print("SAML wrong password: UNEXPECTED success")
    except Exception as e:
        print("V3Saml2Password wrong password -> %s" % type(e).__name__)
if "krb" in which:
    import os
    from keystoneauth1.extras import kerberos
    K = E["kerberos"]
    show("kerberos.Kerberos (method kerberos)", kerberos.Kerberos(auth_url=K["auth_url"], mutual_auth="disabled", **proj), session.Session())
    show("kerberos.MappedKerberos", kerberos.MappedKerberos(auth_url=K["mapped_auth_url"], identity_provider=K["identity_provider"], protocol=K["protocol"], mutual_auth="optional", **proj), session.Session())
