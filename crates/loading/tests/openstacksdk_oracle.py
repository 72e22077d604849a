"""The openstacksdk side of tests/openstacksdk_oracle.rs.

Reads a JSON list of cases on stdin and prints a JSON list of results, one per case, in the
same order. Each case is {"env": {...}, "cwd": dir, "cloud": name or null, "region": name or
null, "services": [...]}: the environment is replaced by "env", the working directory is
"cwd", and openstack.config.loader is reloaded (it reads $HOME, $XDG_CONFIG_HOME and the
working directory when it is imported), then

    OpenStackConfig().get_one(cloud, region_name=region)

is called the way python-openstackclient calls it: --os-region-name (default $OS_REGION_NAME)
is passed as region_name. A result is {"error": "..."} or the merged configuration:
auth_type, auth (only the options of that plugin), region_name, interface,
identity_api_version, api_timeout, verify and cert (as requests gets them), and per service
the raw api_version, endpoint_override, interface, region_name, service_type and
service_name.
"""

import importlib
import json
import os
import sys
import warnings

warnings.simplefilter("ignore")

from keystoneauth1 import loading as ksa_loading  # noqa: E402
from openstack.config import defaults  # noqa: E402
import openstack.config.loader  # noqa: E402

# openstacksdk's defaults.json also gives every cloud network_api_version 2,
# object_store_api_version 1 and status_code_retries for image and baremetal: defaults of
# openstacksdk's own service proxies, which keystoneauth-rs does not apply. Leave them out.
SDK_SERVICE_DEFAULTS = (
    "network_api_version",
    "object_store_api_version",
    "image_status_code_retries",
    "baremetal_status_code_retries",
    "baremetal_introspection_status_code_retries",
)
defaults._defaults = {
    k: v for k, v in defaults.get_defaults().items() if k not in SDK_SERVICE_DEFAULTS
}

SERVICE_KEYS = (
    "api_version",
    "endpoint_override",
    "interface",
    "region_name",
    "service_type",
    "service_name",
)


def text(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def interface(v):
    if not v:
        return "public"
    v = str(v).strip()
    if v.endswith("URL"):
        v = v[:-3]
    return v.lower()


def one(case):
    os.environ.clear()
    os.environ.update(case["env"])
    os.chdir(case["cwd"])
    loader = importlib.reload(openstack.config.loader)
    kwargs = {}
    if case.get("region") is not None:
        kwargs["region_name"] = case["region"]
    try:
        region = loader.OpenStackConfig().get_one(
            cloud=case.get("cloud"), validate=True, **kwargs
        )
    except Exception as e:  # noqa: BLE001 (any failure is the result)
        return {"error": f"{type(e).__name__}: {e}"}
    c = region.config
    dests = {o.dest for o in ksa_loading.get_plugin_loader(c["auth_type"]).get_options()}
    auth = {
        k: text(v) for k, v in c.get("auth", {}).items() if k in dests and v is not None
    }
    verify, cert = region.get_requests_verify_args()
    timeout = c.get("api_timeout")
    return {
        "auth_type": c["auth_type"],
        "auth": auth,
        "region_name": c.get("region_name") or None,
        "interface": interface(c.get("interface")),
        "identity_api_version": text(c.get("identity_api_version")),
        "api_timeout": float(timeout) if timeout is not None else None,
        "verify": verify,
        "cert": list(cert) if isinstance(cert, tuple) else cert,
        "services": {
            s: {k: text(region._get_config(k, s)) for k in SERVICE_KEYS}
            for s in case.get("services", [])
        },
    }


def main():
    cases = json.load(sys.stdin)
    json.dump([one(c) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
