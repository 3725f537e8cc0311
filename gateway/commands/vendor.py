"""odyssey vendor create|list: manage vendors (creating one creates its partitions)."""
from __future__ import annotations

import argparse
import json

import psycopg

from ._admin import call, report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    subs = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = subs.add_parser("create", help="create a vendor", description="create a vendor")
    create.add_argument("name")
    create.add_argument("--settings", default="{}", help="settings_json (JSON object)")
    lst = subs.add_parser("list", help="list vendors", description="list vendors")
    lst.add_argument("--status", choices=["active", "suspended", "offboarded"])


def main(args: argparse.Namespace) -> int:
    try:
        if args.action == "create":
            print(json.dumps(call("api.vendor_save", None, {"name": args.name, "settings_json": json.loads(args.settings)}), indent=2))
        else:
            cursor = None
            while True:
                page = call("api.vendor_list", args.status, cursor, 200)
                for v in page["items"]:
                    print(f'{v["id"]}  {v["status"]:<10}  {v["name"]}')
                cursor = page["next_cursor"]
                if not cursor:
                    break
    except psycopg.Error as exc:
        return report(exc)
    return 0
