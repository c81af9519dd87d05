"""Fixtures for the licensing tests: localstripe, the fake Stripe API server, on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import require

LOCALSTRIPE_START_SECONDS = 15


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(base: str, timeout: float) -> bool:
    parts = urllib.parse.urlsplit(base)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout).close()
    except OSError:
        return False
    return True


@contextmanager
def localstripe_started() -> Iterator[str]:
    """Start a private localstripe on a free loopback port, yield its address, stop it by its pid.

    `--from-scratch` keeps it from loading /tmp/localstripe.pickle, which every localstripe on the
    machine writes after each change.
    """
    executable = Path(sys.executable).with_name("localstripe")
    require(executable.is_file(), f"localstripe at {executable} (pip install localstripe)")
    port = free_loopback_port()
    base = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below, after the process
    process = subprocess.Popen(
        [str(executable), "--port", str(port), "--from-scratch"], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + LOCALSTRIPE_START_SECONDS
        while process.poll() is None and not _answers(base, 0.2) and time.monotonic() < deadline:
            time.sleep(0.05)  # polling a starting process: it announces nothing we could wait on
        if process.poll() is not None or not _answers(base, 0.2):
            log.seek(0)
            require(False, f"localstripe (it did not start on {base}: {log.read()[-500:]!r})")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    """The address of a localstripe server, e.g. "http://127.0.0.1:8420".

    scripts/test.sh starts one and exports STRIPE_API_BASE; it is then shared by every test and every
    xdist worker, so a test must not clear it (localstripe_reset) or expect it empty. Without
    STRIPE_API_BASE each worker starts its own for the session and stops it at the end. A missing or
    broken localstripe skips the tests, or fails them under CI=true (tests.conftest.require).
    """
    base = os.environ.get("STRIPE_API_BASE", "").rstrip("/")
    if base:
        require(_answers(base, 2.0), f"localstripe at STRIPE_API_BASE={base}")
        yield base
        return
    with localstripe_started() as started:
        yield started
