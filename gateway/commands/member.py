"""odyssey member add|remove: manage a user's membership (and role) in a vendor; audited."""
from __future__ import annotations

import argparse
import json

import psycopg

from ._admin import call, report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    subs = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = subs.add_parser("add", help="add a member or change their role", description="add a member or change their role")
    add.add_argument("vendor_id")
    add.add_argument("user_id")
    add.add_argument("--role", required=True, choices=["vendor_admin", "vendor_operator", "vendor_viewer"])
    add.add_argument("--email", help="required when Odyssey does not know the user yet")
    add.add_argument("--display-name")
    remove = subs.add_parser("remove", help="remove a membership", description="remove a membership")
    remove.add_argument("vendor_id")
    remove.add_argument("user_id")


def main(args: argparse.Namespace) -> int:
    try:
        if args.action == "add":
            body = {"role": args.role}
            if args.email:
                body["email"] = args.email
            if args.display_name:
                body["display_name"] = args.display_name
            result = call("api.member_put", args.vendor_id, args.user_id, body)
        else:
            result = call("api.member_remove", args.vendor_id, args.user_id)
        print(json.dumps(result, indent=2))
    except psycopg.Error as exc:
        return report(exc)
    return 0
