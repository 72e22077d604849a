"""keystoneauth-rs harness: run several `keystone-manage` steps in one process.

Each `keystone-manage` start costs ~3 s of imports; doing db_sync, fernet_setup,
receipt_setup, credential_setup and bootstrap in one interpreter saves ~10 s.

usage: python ksa_setup.py KEYSTONE_CONF  < JSON list of argument lists
       e.g. [["db_sync"], ["fernet_setup", "--keystone-user", "0", ...], ...]
"""
import json
import sys
import warnings

warnings.simplefilter("ignore")

from keystone.cmd import cli  # noqa: E402


def main():
    conf = sys.argv[1]
    steps = json.load(sys.stdin)
    for step in steps:
        # oslo.config keeps parsed CLI state between calls; forget it so the
        # next sub-command can register and parse its own options.
        cli.CONF.clear()
        cli.main(argv=["keystone-manage", "--config-file", conf] + list(step))
        print("ksa_setup: done", step[0], file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
