"""Configuration from environment variables, with the env file written by scripts/cluster as the
fallback source (ODYSSEY_ENV_FILE, default <repo>/.env). Real environment variables win."""
from __future__ import annotations

import os
import shlex
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def env_file_path() -> Path:
    return Path(os.environ.get("ODYSSEY_ENV_FILE", REPO / ".env"))


def read_env_file(path: Path | None = None) -> dict[str, str]:
    """Parse KEY=value lines (values may be shell-quoted); comments and blanks are skipped."""
    path = path or env_file_path()
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, raw = line.split("=", 1)
        parts = shlex.split(raw) if raw else [""]
        values[key.strip()] = parts[0] if parts else ""
    return values


def setting(name: str, default: str | None = None) -> str | None:
    """An environment variable, else the env file's value, else the default."""
    if name in os.environ:
        return os.environ[name]
    return read_env_file().get(name, default)


def require(name: str) -> str:
    value = setting(name)
    if not value:
        raise SystemExit(f"{name} is not set (run scripts/cluster up, or export it)")
    return value


def upload_dir() -> Path:
    """Where the gateway's TUS endpoint stores uploads (<dir>/<vendor>/<job>) and the worker reads
    them: ODYSSEY_UPLOAD_DIR, default <repo>/.odyssey/uploads."""
    return Path(setting("ODYSSEY_UPLOAD_DIR") or REPO / ".odyssey" / "uploads")


def supabase_storage() -> tuple[str, str, str] | None:
    """(url, service key, bucket) when Supabase Storage receives the uploads (ODYSSEY_SUPABASE_URL,
    ODYSSEY_SUPABASE_SERVICE_KEY, ODYSSEY_SUPABASE_BUCKET default 'ingest'), else None."""
    url, key = setting("ODYSSEY_SUPABASE_URL"), setting("ODYSSEY_SUPABASE_SERVICE_KEY")
    if not url or not key:
        return None
    return url.rstrip("/"), key, setting("ODYSSEY_SUPABASE_BUCKET") or "ingest"
