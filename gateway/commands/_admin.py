"""Platform administration from the command line: runs the same api functions as the HTTP admin
endpoints, as the owner login acting as a superadmin (odyssey.role), audited like any request."""
from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from ..config import require


def call(function: str, *params: Any, vendor: str | None = None) -> Any:
    with psycopg.connect(require("ODYSSEY_OWNER_URL")) as conn:
        conn.execute("SELECT set_config('odyssey.role', 'superadmin', true), set_config('odyssey.user_id', 'cli', true), "
                     "set_config('odyssey.request_id', %s, true), set_config('odyssey.ua', 'odyssey-cli', true), "
                     "set_config('odyssey.vendor_id', coalesce(%s, ''), true)", (uuid.uuid4().hex, vendor))
        placeholders = ", ".join(["%s"] * len(params))
        row = conn.execute(f"SELECT {function}({placeholders})::text",
                           [Jsonb(p) if isinstance(p, (dict, list)) else p for p in params]).fetchone()
        return json.loads(row[0])


def report(exc: psycopg.Error) -> int:
    print(f"error: {exc.diag.message_primary}")
    if exc.diag.message_detail:
        print(exc.diag.message_detail)
    return 1
