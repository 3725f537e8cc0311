"""odyssey serve: run the HTTP gateway under uvicorn."""
from __future__ import annotations

import argparse

from ..config import setting


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=setting("ODYSSEY_HTTP_HOST", "127.0.0.1"), help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=int(setting("ODYSSEY_HTTP_PORT", "8080") or 8080), help="port (default 8080)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    parser.add_argument("--log-level", default="warning", help="uvicorn log level (request logs are JSON lines on stdout)")


def main(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run("gateway.app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level=args.log_level, access_log=False, proxy_headers=False)
    return 0
