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
    wal(conf)


def wal(conf):
    """Put the sqlite database in WAL mode (persistent): readers no longer block the
    writer, so the four gunicorn workers stop failing with 'database is locked'."""
    import configparser
    import sqlite3

    # strict=False: multi-valued options (trusted_dashboard) repeat their key.
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.read(conf)
    url = cp.get("database", "connection", fallback="")
    if not url.startswith("sqlite:///"):
        return
    path = url[len("sqlite:///"):].split("?", 1)[0]
    with sqlite3.connect(path) as db:
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    print("ksa_setup: sqlite journal_mode", mode, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
