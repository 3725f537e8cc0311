"""The `odyssey` command. Each subcommand lives in its own module and is imported only when used,
so `odyssey --help` works without a database."""
from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, help). Each module exposes add_arguments(parser) and main(args) -> int.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("gateway.commands.serve", "run the HTTP gateway (uvicorn)"),
    "worker": ("gateway.commands.worker", "run a queue worker"),
    "token": ("gateway.commands.token", "mint a local development JWT for a user"),
    "vendor": ("gateway.commands.vendor", "manage vendors (create, list)"),
    "member": ("gateway.commands.member", "manage vendor memberships (add, remove)"),
    "ingest": ("gateway.commands.ingest", "upload a CSV with TUS and follow the ingestion job"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="odyssey", description="Odyssey backend: gateway, worker and admin tools.")
    subs = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue  # a subcommand whose module is not part of this build is simply absent
        sub = subs.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(sub)
        sub.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_module", None):
        parser.print_help()
        return 2
    return int(args._module.main(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
