"""A vendor's product API on loopback, for connector tests: cursor-paged JSON, its own auth, and
failures scripted by the test. It stands in for a third party (the vendor's system), not for any
part of Odyssey.

GET /products or /members ?cursor=&limit=&updated_since=  ->  {"data": {"items": [...]}, "paging": {"next": "..."}, "total": N}
POST /oauth/token (client credentials, HTTP basic)  ->  {"access_token": ..., "expires_in": ...}
"""
from __future__ import annotations

import base64
import json
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class VendorApi:
    def __init__(self, port: int, token: str = "s3cret-token", client: tuple[str, str] = ("odyssey", "client-pw")) -> None:
        self.items: list[dict] = []              # each item may carry "_updated" (epoch s) for updated_since
        self.token = token
        self.client = client
        self.issued: list[str] = []              # OAuth access tokens handed out (the last one is valid)
        self.script: list[tuple[int, dict[str, str], bytes]] = []   # answers for the next GETs, then normal pages
        self.requests: list[tuple[str, dict[str, list[str]], dict[str, str], float]] = []  # (path, query, headers, time)
        self.auth = "bearer"                     # bearer | oauth2 | none
        self.delay = 0.0                         # seconds before each page answer
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", **(headers or {})}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                expected = "Basic " + base64.b64encode(":".join(api.client).encode()).decode()
                if urlsplit(self.path).path != "/oauth/token" or "grant_type=client_credentials" not in body \
                        or self.headers.get("Authorization") != expected:
                    self._send(401, b'{"error": "invalid_client"}')
                    return
                with api.lock:
                    token = f"tok-{len(api.issued) + 1}"
                    api.issued.append(token)
                self._send(200, json.dumps({"access_token": token, "token_type": "bearer", "expires_in": 3600}).encode())

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                with api.lock:
                    api.requests.append((parts.path, query, {k.lower(): v for k, v in self.headers.items()}, time.monotonic()))
                    scripted = api.script.pop(0) if api.script else None
                if scripted:
                    self._send(scripted[0], scripted[2], scripted[1])
                    return
                valid = {"bearer": f"Bearer {api.token}", "oauth2": f"Bearer {api.issued[-1]}" if api.issued else None,
                         "none": self.headers.get("Authorization")}[api.auth]
                if self.headers.get("Authorization") != valid:
                    self._send(401, b'{"error": "unauthorized"}')
                    return
                if parts.path not in ("/products", "/members"):
                    self._send(404, b'{"error": "not found"}')
                    return
                if api.delay:
                    time.sleep(api.delay)
                since = query.get("updated_since", [None])[0]
                with api.lock:
                    items = [i for i in api.items
                             if since is None or i.get("_updated", 0) >= datetime.fromisoformat(since).timestamp()]
                start = int(query.get("cursor", ["0"])[0].removeprefix("c"))
                limit = int(query.get("limit", ["100"])[0])
                page = [{k: v for k, v in i.items() if k != "_updated"} for i in items[start:start + limit]]
                nxt = f"c{start + limit}" if start + limit < len(items) else None
                self._send(200, json.dumps({"data": {"items": page}, "paging": {"next": nxt}, "total": len(items)}).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page_requests(self) -> list[tuple[str, dict[str, list[str]], dict[str, str], float]]:
        with self.lock:
            return [r for r in self.requests if r[0] in ("/products", "/members")]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
