#!/usr/bin/env python3
"""Proves every migration can be rolled back: on the cluster named by the env file, dump the
deployed schema, `sqitch revert` everything, check nothing of Odyssey is left, `sqitch deploy`
again and require the normalized `pg_dump --schema-only` to be identical; then `sqitch verify`.

Normalization drops what legitimately differs between two deploys: comments and SET lines of the
dump header, and the dump's object ordering noise (identical statements are compared as sorted
blocks, so only real differences remain). Sub-partitioned tables are compared through the dump,
not migra (migra emits invalid DDL for them)."""
from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys

SCHEMAS = ["app", "core", "catalog", "crm", "health", "matching", "ingest", "hooks", "ops",
           "audit", "api", "partitions", "archive", "queue"]


def run(cmd: list[str], **kw) -> str:
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if res.returncode != 0:
        sys.stderr.write(res.stdout + res.stderr)
        raise SystemExit(f"command failed: {' '.join(cmd[:3])} ...")
    return res.stdout


def dump() -> str:
    url = os.environ["ODYSSEY_SUPERUSER_URL"]
    out = run(["pg_dump", "--schema-only", "--no-owner", "--exclude-schema=sqitch",
               "--exclude-schema=tap", url])
    blocks, cur = [], []
    for line in out.splitlines():
        if (line.startswith("--") or line.startswith("SET ") or line.startswith("SELECT pg_catalog.set_config")
                or line.startswith("\\restrict") or line.startswith("\\unrestrict")):
            continue
        if not line.strip():
            if cur:
                blocks.append("\n".join(cur)); cur = []
            continue
        cur.append(line)
    if cur:
        blocks.append("\n".join(cur))
    return "\n\n".join(sorted(blocks)) + "\n"


def leftovers() -> str:
    url = os.environ["ODYSSEY_SUPERUSER_URL"]
    q = ("select string_agg(nspname, ',') from pg_namespace where nspname = any(%s)"
         % ("array[" + ",".join(f"'{s}'" for s in SCHEMAS) + "]"))
    schemas = run(["psql", "-XAtc", q, url]).strip()
    roles = run(["psql", "-XAtc", "select string_agg(rolname, ',') from pg_roles where rolname like 'odyssey\\_%' "
                 "and rolname <> 'odyssey_owner'", url]).strip()
    return ";".join(x for x in (schemas, roles) if x)


PROBE_VENDORS = ["00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000b2"]


def with_probe_vendors(fn):
    """Partitions are part of the schema: compare them too, with two vendors created the same way
    after each deploy, and removed again afterwards."""
    url = os.environ["ODYSSEY_SUPERUSER_URL"]
    values = ",".join(f"('{v}', 'roundtrip probe {i}')" for i, v in enumerate(PROBE_VENDORS))
    run(["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", f"insert into core.vendors (id, name) values {values}", url])
    try:
        return fn()
    finally:
        cleanup = ";".join(f"select app.offboard_vendor('{v}', false)" for v in PROBE_VENDORS)
        run(["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", cleanup, url])
        run(["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-c",
             "delete from core.vendors where id in (" + ",".join(f"'{v}'" for v in PROBE_VENDORS) + ")", url])


def main() -> int:
    target = os.environ["SQITCH_TARGET"]
    env = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")
    first = with_probe_vendors(dump)
    run(["sqitch", "revert", "-y", "--target", target], env=env)
    left = leftovers()
    if left:
        print(f"not ok - revert left objects behind: {left}")
        return 1
    print("ok - revert removed every schema and role of Odyssey")
    run(["sqitch", "deploy", "--target", target], env=env)
    # Passwords live outside sqitch: restore them as scripts/cluster deploy does.
    run(["bash", "scripts/cluster", "deploy"])
    second = with_probe_vendors(dump)
    if first != second:
        diff = difflib.unified_diff(first.splitlines(), second.splitlines(), "first deploy", "redeploy", lineterm="")
        print("not ok - schema after revert+deploy differs:\n" + "\n".join(list(diff)[:200]))
        return 1
    print(f"ok - schema identical after deploy -> revert -> deploy ({len(first.splitlines())} normalized lines)")
    run(["sqitch", "verify", "--target", target], env=env)
    print("ok - sqitch verify")
    return 0


if __name__ == "__main__":
    sys.exit(main())
