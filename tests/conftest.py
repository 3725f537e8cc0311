"""Shared fixtures: the env file written by scripts/cluster (scripts/test points ODYSSEY_ENV_FILE
at the test cluster's) and connections to the real primary and replica."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

# The package under test is the one of this checkout, whatever the virtualenv has installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
import pytest

from gateway.config import setting


def _url(name: str) -> str:
    value = setting(name)
    if not value:
        pytest.exit(f"{name} is not set: run the tests through scripts/test", returncode=2)
    return value


@pytest.fixture(scope="session")
def superuser_url() -> str:
    return _url("ODYSSEY_SUPERUSER_URL")


@pytest.fixture(scope="session")
def gateway_url() -> str:
    return _url("ODYSSEY_DATABASE_URL")


@pytest.fixture(scope="session")
def replica_url() -> str:
    return _url("ODYSSEY_REPLICA_URL")


@pytest.fixture()
def su(superuser_url: str) -> Iterator[psycopg.Connection]:
    """A superuser connection to the primary (autocommit)."""
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        yield conn
