"""odyssey token: mint a local development JWT (HS256, ODYSSEY_JWT_SECRET) for a user id."""
from __future__ import annotations

import argparse
import time

from ..config import require


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user_id", help="the user id (JWT sub)")
    parser.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")
    parser.add_argument("--claim", choices=["sub", "userId"], default="sub", help="claim carrying the user id")


def main(args: argparse.Namespace) -> int:
    import jwt

    now = int(time.time())
    print(jwt.encode({args.claim: args.user_id, "iat": now, "exp": now + args.ttl},
                     require("ODYSSEY_JWT_SECRET"), algorithm="HS256"))
    return 0
