"""The other JWT modes: RS256/ES256 keys from a JWKS URL, and Appwrite (the token is checked by
calling Appwrite's GET /account). A local identity-provider stand-in serves both."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk as jose_jwk
from jose import jwt as jose_jwt

from .conftest import BASE_PORT, Server, World, mint

IDP_PORT = BASE_PORT + 4
PROJECT = "odyssey-test-project"


def _pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


class IdP:
    def __init__(self) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.rogue = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        keys = []
        for kid, key, alg in (("rsa-1", self.rsa, "RS256"), ("ec-1", self.ec, "ES256")):
            public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            d = jose_jwk.construct(public, alg).to_dict()
            keys.append({**{k: (v.decode() if isinstance(v, bytes) else v) for k, v in d.items()}, "kid": kid, "use": "sig", "alg": alg})
        self.jwks = {"keys": keys}
        self.appwrite_tokens: dict[str, str] = {}   # token -> user id
        self.account_calls = 0

    def token(self, user: str, kid: str, key=None, alg: str = "RS256", ttl: int = 600) -> str:
        now = int(time.time())
        return jose_jwt.encode({"sub": user, "iat": now, "exp": now + ttl}, _pem(key or (self.rsa if alg == "RS256" else self.ec)).decode(),
                               algorithm=alg, headers={"kid": kid})


@pytest.fixture(scope="module")
def idp() -> IdP:
    state = IdP()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == "/jwks.json":
                self._send(200, state.jwks)
            elif self.path == "/v1/account":
                state.account_calls += 1
                user = state.appwrite_tokens.get(self.headers.get("X-Appwrite-JWT", ""))
                if user and self.headers.get("X-Appwrite-Project") == PROJECT:
                    self._send(200, {"$id": user, "email": f"{user}@test.example"})
                else:
                    self._send(401, {"message": "Failed to verify JWT.", "code": 401, "type": "user_jwt_invalid"})
            else:
                self._send(404, {})

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    httpd = ThreadingHTTPServer(("127.0.0.1", IDP_PORT), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()


@pytest.fixture(scope="module")
def jwks_server(idp: IdP) -> Server:
    srv = Server(BASE_PORT + 2, env={"ODYSSEY_JWT_MODE": "jwks", "ODYSSEY_JWKS_URL": f"http://127.0.0.1:{IDP_PORT}/jwks.json"},
                 log_name="gateway-jwks")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def appwrite_server(idp: IdP) -> Server:
    srv = Server(BASE_PORT + 3, env={"ODYSSEY_JWT_MODE": "appwrite", "ODYSSEY_APPWRITE_ENDPOINT": f"http://127.0.0.1:{IDP_PORT}/v1",
                                     "ODYSSEY_APPWRITE_PROJECT": PROJECT, "ODYSSEY_APPWRITE_CACHE_SECONDS": "30"},
                 log_name="gateway-appwrite")
    yield srv
    srv.stop()


def _get(server: Server, token: str) -> httpx.Response:
    return httpx.get(server.url + "/api/v1/products", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_jwks_rs256_and_es256(jwks_server: Server, idp: IdP, world: World, seeded) -> None:
    user = world.users["viewer_a"]
    assert _get(jwks_server, idp.token(user, "rsa-1")).status_code == 200
    assert _get(jwks_server, idp.token(user, "ec-1", alg="ES256")).status_code == 200
    # signed by a key that is not in the set, under a kid that is
    assert _get(jwks_server, idp.token(user, "rsa-1", key=idp.rogue)).status_code == 401
    assert _get(jwks_server, idp.token(user, "rsa-1", ttl=-60)).status_code == 401
    # HS256 (e.g. keyed with the public key, the classic confusion) is not accepted in this mode
    assert _get(jwks_server, mint(user)).status_code == 401
    assert _get(jwks_server, idp.token(user, "unknown-kid")).status_code == 401


def test_appwrite_mode(appwrite_server: Server, idp: IdP, world: World, seeded) -> None:
    # Appwrite JWTs are signed with Appwrite's own key: only Appwrite can say whether one is valid.
    token = jose_jwt.encode({"userId": world.users["admin_a"], "sessionId": "s1", "exp": int(time.time()) + 900},
                            "appwrite-internal-key", algorithm="HS256")
    idp.appwrite_tokens[token] = world.users["admin_a"]
    calls = idp.account_calls
    r = _get(appwrite_server, token)
    assert r.status_code == 200 and r.json()["items"]
    assert _get(appwrite_server, token).status_code == 200
    assert idp.account_calls == calls + 1          # cached briefly
    other = jose_jwt.encode({"userId": world.users["admin_a"], "exp": int(time.time()) + 900}, "forged", algorithm="HS256")
    assert _get(appwrite_server, other).status_code == 401
