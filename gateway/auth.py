"""Bearer JWT verification. Modes (ODYSSEY_JWT_MODE):
  local     HS256 with ODYSSEY_JWT_SECRET (default)
  jwks      RS256/ES256 with keys from ODYSSEY_JWKS_URL (PyJWKClient, cached)
  appwrite  the token is checked by Appwrite: GET {ODYSSEY_APPWRITE_ENDPOINT}/account with
            X-Appwrite-JWT and X-Appwrite-Project (ODYSSEY_APPWRITE_PROJECT); answers cached briefly
The user id is the `sub` claim, or `userId` (Appwrite). Expired tokens, bad signatures and
`alg: none` are rejected. Vendor and role never come from the token (see api.resolve_principal)."""
from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass

import httpx
import jwt

from .config import setting
from .problems import Problem


@dataclass(frozen=True)
class AuthConfig:
    mode: str
    secret: str | None
    jwks_url: str | None
    audience: str | None
    issuer: str | None
    appwrite_endpoint: str | None
    appwrite_project: str | None
    leeway: int = 5
    cache_seconds: int = 60

    @classmethod
    def from_env(cls) -> "AuthConfig":
        return cls(
            mode=(setting("ODYSSEY_JWT_MODE", "local") or "local").lower(),
            secret=setting("ODYSSEY_JWT_SECRET"),
            jwks_url=setting("ODYSSEY_JWKS_URL"),
            audience=setting("ODYSSEY_JWT_AUDIENCE") or None,
            issuer=setting("ODYSSEY_JWT_ISSUER") or None,
            appwrite_endpoint=(setting("ODYSSEY_APPWRITE_ENDPOINT") or "").rstrip("/") or None,
            appwrite_project=setting("ODYSSEY_APPWRITE_PROJECT"),
            cache_seconds=int(setting("ODYSSEY_APPWRITE_CACHE_SECONDS", "60") or 60),
        )


def _unauthorized(detail: str) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="odyssey"'})


def _user_of(claims: dict) -> str:
    user = claims.get("sub") or claims.get("userId")
    if not isinstance(user, str) or not user or len(user) > 128:
        raise _unauthorized("the token names no user (sub or userId)")
    return user


class Authenticator:
    def __init__(self, config: AuthConfig) -> None:
        self.config = config
        self._jwks: jwt.PyJWKClient | None = None
        self._cache: dict[str, tuple[str, float]] = {}
        self._http: httpx.AsyncClient | None = None
        if config.mode == "local" and not config.secret:
            raise SystemExit("ODYSSEY_JWT_SECRET is not set (local JWT mode)")
        if config.mode == "jwks":
            if not config.jwks_url:
                raise SystemExit("ODYSSEY_JWKS_URL is not set (jwks JWT mode)")
            self._jwks = jwt.PyJWKClient(config.jwks_url, cache_keys=True, lifespan=300)
        if config.mode == "appwrite" and not (config.appwrite_endpoint and config.appwrite_project):
            raise SystemExit("ODYSSEY_APPWRITE_ENDPOINT and ODYSSEY_APPWRITE_PROJECT are required (appwrite mode)")
        if config.mode not in ("local", "jwks", "appwrite"):
            raise SystemExit(f"unknown ODYSSEY_JWT_MODE {config.mode!r} (local, jwks, appwrite)")

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    def _options(self) -> dict:
        return {"require": ["exp"], "verify_aud": self.config.audience is not None}

    async def authenticate(self, authorization: str | None) -> str:
        if not authorization:
            raise _unauthorized("a bearer token is required")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("the Authorization header must be 'Bearer <token>'")
        if self.config.mode == "appwrite":
            return await self._appwrite(token)
        try:
            if self.config.mode == "local":
                claims = jwt.decode(token, self.config.secret, algorithms=["HS256"], options=self._options(),
                                    audience=self.config.audience, issuer=self.config.issuer,
                                    leeway=self.config.leeway)
            else:
                assert self._jwks is not None
                key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
                claims = jwt.decode(token, key.key, algorithms=["RS256", "ES256"], options=self._options(),
                                    audience=self.config.audience, issuer=self.config.issuer,
                                    leeway=self.config.leeway)
        except jwt.ExpiredSignatureError:
            raise _unauthorized("the token has expired") from None
        except (jwt.PyJWTError, ValueError) as exc:
            raise _unauthorized(f"invalid token: {type(exc).__name__}") from None
        return _user_of(claims)

    async def _appwrite(self, token: str) -> str:
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit and hit[1] > now:
            return hit[0]
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=5.0)
        try:
            response = await self._http.get(f"{self.config.appwrite_endpoint}/account",
                                            headers={"X-Appwrite-JWT": token,
                                                     "X-Appwrite-Project": self.config.appwrite_project or ""})
        except httpx.HTTPError:
            raise Problem(503, "the identity provider cannot be reached") from None
        if response.status_code != 200:
            raise _unauthorized("the identity provider rejected the token")
        try:
            user = response.json().get("$id")
        except ValueError:
            user = None
        if not isinstance(user, str) or not user:
            raise _unauthorized("the identity provider returned no user")
        # Never cache past the token's own expiry (read without verifying: Appwrite vouched for it).
        expires = now + self.config.cache_seconds
        try:
            exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
            if isinstance(exp, (int, float)):
                expires = min(expires, now + max(0.0, exp - time.time()))
        except jwt.PyJWTError:
            pass
        if len(self._cache) > 10000:
            self._cache.clear()
        self._cache[digest] = (user, expires)
        return user
