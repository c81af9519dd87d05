"""Fixtures for the licensing tests: localstripe, the fake Stripe API server, on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from core.models import RuleSet
from core.roles import Role
from licensing import services
from licensing.models import RenewalPeriod
from registry import services as registry_services
from registry.models import RegisterEntry
from tests import factories
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


# Renewal fixtures shared by the licensing tests -----------------------------------------------

JOHANNESBURG = zoneinfo.ZoneInfo("Africa/Johannesburg")
LICENSING_RULES = {
    "currency": "ZAR",
    "fees": {
        "social-worker": {"annual": 52000, "late_penalty": 46500, "restoration": 76200},
        "social-auxiliary-worker": {"annual": 26000, "late_penalty": 46500, "restoration": 76200},
    },
    "renewal": {
        "annual_fee_due": {"month": 1, "day": 1},
        "late_penalty_after": {"month": 3, "day": 31},
        "lapse_on": {"month": 7, "day": 1},
        "window_opens_days_before_due": 60,
        "reminder_days_before_due": [60, 30, 7],
    },
}


@pytest.fixture
def rules(council: Any) -> RuleSet:
    rule_set = RuleSet.objects.get(version=1)
    rule_set.rules = LICENSING_RULES
    rule_set.save(update_fields=["rules"])
    return rule_set


@pytest.fixture
def finance(db: None) -> Any:
    return factories.staff_user(Role.FINANCE_OFFICER)


def _registered(categories: Any, registrar: Any, count: int, category: str = "social-worker") -> list[RegisterEntry]:
    entries = []
    for index in range(count):
        application = factories.application_in_review(
            applicant=factories.UserFactory(),
            category=categories[category],
            registrar=registrar,
            family_name=f"Dlamini {index}",
        )
        registry_services.application_decide(actor=registrar, application=application, approve=True, reason="")
        entries.append(RegisterEntry.objects.select_related("practitioner__user").get(application=application))
    return entries


@pytest.fixture
def period(rules: RuleSet) -> RenewalPeriod:
    return services.renewal_period_open(actor=None, year=2027)
