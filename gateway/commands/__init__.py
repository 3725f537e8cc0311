"""Subcommands of the odyssey CLI (see gateway.cli)."""
