"""RFC 9457 problem details: every error the gateway answers is application/problem+json.
SQLSTATEs raised by the api functions (OD4xx, see DEVELOPERS.md) and standard ones map to statuses;
no stack trace or SQL text ever leaves the gateway for a 5xx."""
from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

TITLES = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 406: "Not Acceptable", 409: "Conflict", 410: "Gone", 412: "Precondition Failed",
    413: "Content Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Content", 423: "Locked",
    428: "Precondition Required", 429: "Too Many Requests", 460: "Checksum Mismatch", 500: "Internal Server Error",
    501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
}
PROBLEM_TYPE = "https://odyssey.example/problems/"


class Problem(Exception):
    """An error answered as problem+json."""

    def __init__(self, status: int, detail: str, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None, code: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.code = code


def status_of_sqlstate(state: str | None) -> int:
    """The HTTP status of a PostgreSQL error (custom OD4xx codes first, then standard classes)."""
    if not state:
        return 500
    if state.startswith("OD") and state[2:].isdigit():
        code = int(state[2:])
        return code if code in TITLES else 500
    if state in ("23505", "40001", "40P01", "55P03"):
        return 409
    if state in ("23514", "23502", "23503", "23P01", "21000") or state.startswith("22"):
        return 422
    if state == "42501":
        return 403
    if state == "P0002":
        return 404
    if state == "25006":
        return 409
    return 500


def problem_response(status: int, detail: str, *, instance: str = "", errors: list[dict[str, Any]] | None = None,
                     headers: dict[str, str] | None = None, request_id: str | None = None,
                     code: str | None = None) -> Response:
    title = TITLES.get(status, "Error")
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + (code or title.lower().replace(" ", "-")),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors:
        body["errors"] = errors
    if request_id:
        body["request_id"] = request_id
    return Response(json.dumps(body), status_code=status, headers=headers,
                    media_type="application/problem+json")


def field_errors(detail: str | None) -> list[dict[str, Any]] | None:
    """DETAIL of an OD error: a JSON array of {field, code, message}; anything else is ignored."""
    if not detail:
        return None
    try:
        value = json.loads(detail)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(e, dict) for e in value):
        return [{"field": str(e.get("field", "")), "code": str(e.get("code", "invalid")),
                 "message": str(e.get("message", ""))} for e in value]
    return None
