"""keystoneauth-rs harness: one mTLS request to the TLS listener.

usage: python ksa_probe.py URL CA_CERT CLIENT_CERT CLIENT_KEY
Prints the response body; exits 0 on HTTP 200, 1 otherwise.
"""
import ssl
import sys
import urllib.request


def main():
    url, ca, cert, key = sys.argv[1:5]
    ctx = ssl.create_default_context(cafile=ca)
    ctx.load_cert_chain(cert, key)
    try:
        with urllib.request.urlopen(url, context=ctx, timeout=5) as resp:
            sys.stdout.write(resp.read().decode())
            return 0 if resp.status == 200 else 1
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
