"""keystoneauth-rs harness: the WSGI application gunicorn serves.

TEST-ONLY. It listens on 127.0.0.1 and must never be exposed elsewhere.

It wraps `keystone.wsgi.api:application` and adds what a front end (Apache
mod_ssl, mod_auth_*) would normally put into the WSGI environ:

* mTLS: when the request came over the TLS listener and the peer presented a
  certificate, the mod_ssl variables Keystone reads are exported:
  SSL_CLIENT_CERT (PEM; OAuth2 `tls_client_auth`), SSL_CLIENT_VERIFY,
  SSL_CLIENT_M_SERIAL, SSL_CLIENT_S_DN / SSL_CLIENT_I_DN (RFC 4514 strings;
  x509 tokenless auth compares SSL_CLIENT_I_DN with [tokenless_auth]
  trusted_issuer) and SSL_CLIENT_S_DN_<attr> / SSL_CLIENT_I_DN_<attr>
  (CN, O, OU, C, ...; a repeated attribute gets _1, _2 ... like mod_ssl).
* `X-Test-Environ: {"REMOTE_USER": "u", "AUTH_TYPE": "Negotiate", ...}`: the
  JSON object is merged into the environ (for the `external`/`kerberos`
  methods). One JSON header, because gunicorn drops header names with '_'.
* `GET /ksa-harness/peer`: answers the exported SSL_CLIENT_* variables as JSON
  (handy to check the mTLS plumbing without Keystone).
"""
import json
import ssl
import sys

# keystone.server.configure() parses sys.argv with oslo.config; under gunicorn
# that is gunicorn's own command line and every worker would exit with status 2.
# The configuration is found through OS_KEYSTONE_CONFIG_DIR/_FILES instead.
sys.argv = sys.argv[:1]

from keystone.wsgi.api import application as keystone_application  # noqa: E402

_ATTR_NAMES = {
    "commonName": "CN",
    "countryName": "C",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "localityName": "L",
    "stateOrProvinceName": "ST",
    "emailAddress": "Email",
    "userId": "UID",
    "domainComponent": "DC",
    "serialNumber": "serialNumber",
}


def _name_vars(prefix, name):
    out = {prefix: name.rfc4514_string()}
    seen = {}
    for attr in name:
        short = _ATTR_NAMES.get(attr.oid._name, attr.oid._name)
        n = seen.get(short, 0)
        seen[short] = n + 1
        key = f"{prefix}_{short}" if n == 0 else f"{prefix}_{short}_{n}"
        out[key] = attr.value
    return out


def peer_cert_environ(der):
    """mod_ssl's `SSLOptions +StdEnvVars +ExportCertData`, the part Keystone uses."""
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)
    env = {
        "SSL_CLIENT_CERT": ssl.DER_cert_to_PEM_cert(der),
        "SSL_CLIENT_VERIFY": "SUCCESS",
        "SSL_CLIENT_M_SERIAL": format(cert.serial_number, "X"),
    }
    env.update(_name_vars("SSL_CLIENT_S_DN", cert.subject))
    env.update(_name_vars("SSL_CLIENT_I_DN", cert.issuer))
    return env


def application(environ, start_response):
    sock = environ.get("gunicorn.socket")
    if isinstance(sock, ssl.SSLSocket):
        der = sock.getpeercert(binary_form=True)
        if der:
            environ.update(peer_cert_environ(der))

    injected = environ.pop("HTTP_X_TEST_ENVIRON", None)
    if injected:
        for key, value in json.loads(injected).items():
            environ[str(key)] = str(value)

    if environ.get("PATH_INFO") == "/ksa-harness/peer":
        body = json.dumps(
            {k: v for k, v in environ.items() if k.startswith("SSL_CLIENT_")},
            sort_keys=True,
        ).encode()
        start_response(
            "200 OK",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return keystone_application(environ, start_response)
