"""Where uploaded bytes live -- the gateway's upload directory, or Supabase Storage -- and how an
upload's bytes are found and deleted: one place for the TUS endpoint (gateway/tus.py) and the
worker (reading a file, removing the bytes of expired uploads)."""
from __future__ import annotations

import logging
from pathlib import Path

from .config import supabase_storage, upload_dir

log = logging.getLogger("odyssey.storage")
_SUPABASE_CLIENT = None


def upload_path(object_path: str) -> Path:
    """<upload dir>/<object_path>. ValueError when it would leave the directory (the database's
    CHECK already refuses absolute paths and '..')."""
    base = upload_dir().resolve()
    path = (base / object_path).resolve()
    if base not in path.parents:
        raise ValueError(f"an upload's object path leaves the upload directory: {object_path!r}")
    return path


def supabase_client():
    """The Supabase client of ODYSSEY_SUPABASE_URL / _SERVICE_KEY (created once)."""
    global _SUPABASE_CLIENT
    if _SUPABASE_CLIENT is None:
        from supabase import create_client
        url, key, _ = supabase_storage()
        _SUPABASE_CLIENT = create_client(url, key)
    return _SUPABASE_CLIENT


def remove_upload(storage: str, object_path: str) -> None:
    """Deletes an upload's bytes once the database has ended the upload (terminated or expired). A
    Supabase object that cannot be removed is logged and left: it is only storage."""
    if storage == "local":
        upload_path(object_path).unlink(missing_ok=True)
    elif storage == "supabase" and (config := supabase_storage()) is not None:
        try:
            supabase_client().storage.from_(config[2]).remove([object_path])
        except Exception as exc:  # noqa: BLE001
            log.warning("Supabase Storage could not remove %s: %s", object_path, exc)
