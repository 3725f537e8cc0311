"""Odyssey gateway: a thin Starlette app over the `api` schema of stored functions."""
