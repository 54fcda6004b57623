"""Engine fixtures: small demo stores, and a throwaway PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_helpers import sqlite_url

from computefin.engine.demo_book import load_demo_book
from computefin.engine.store import Store, open_store


@pytest.fixture
def demo_store(tmp_path: Path) -> Iterator[Store]:
    """A fresh SQLite store holding the demo book's first 12 loans and the snapshot (no ABS)."""
    store = open_store(sqlite_url(tmp_path), create=True)
    load_demo_book(store, loans=12, securitisations=False)
    yield store
    store.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server started for this test session on a temporary directory and
    port (as the ``postgres`` user when the tests run as root: initdb refuses root)."""
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        pytest.skip("PostgreSQL server programs (initdb, pg_ctl) are not on the PATH")
    root = Path(tempfile.mkdtemp(prefix="computefin-pg-"))
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
        root.chmod(0o755)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C"}
    subprocess.run(
        [*prefix, "initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    options = f"-p {port} -k {sockets} -c listen_addresses='' -c fsync=off"
    subprocess.run(
        [*prefix, "pg_ctl", "-D", str(data), "-o", options, "-l", str(root / "log"), "-w",
         "start"],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not (sockets / f".s.PGSQL.{port}").exists():
            if time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL did not start")
            time.sleep(0.1)
        yield f"postgresql+psycopg://postgres@/postgres?host={sockets}&port={port}"
    finally:
        subprocess.run(
            [*prefix, "pg_ctl", "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True, env=env,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
