"""Shared fixtures: the council, its categories, a user in each role, and MFA-signed-in clients."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from core.models import User
from core.roles import Role
from tests import factories

REQUIRE_SERVICES = os.environ.get("COUNCIL_TEST_REQUIRE_SERVICES", "false").lower() == "true"


def require(available: bool, what: str) -> None:
    """Skip when a machine service is missing, except under CI=true, where it is a failure."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required under CI=true but is not available", pytrace=False)
    pytest.skip(f"{what} is not available")


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Rate-limit counters live in the cache; each test starts with none spent."""
    from django.core.cache import cache

    from portal.selectors import licensing_memo_clear

    cache.clear()
    licensing_memo_clear()


@pytest.fixture
def council(db: None) -> Any:
    return factories.council_create()


@pytest.fixture
def categories(council: Any) -> dict[str, Any]:
    return factories.categories_create()


@pytest.fixture
def applicant(db: None) -> User:
    return factories.UserFactory(email="applicant@example.org", name="José Núñez")


@pytest.fixture
def other_applicant(db: None) -> User:
    return factories.UserFactory(email="other@example.org", name="Françoise Lefèvre")


@pytest.fixture
def registrar(db: None) -> User:
    return factories.staff_user(Role.REGISTRAR, email="registrar@council.example", name="Thandi Mokoena")


@pytest.fixture
def officer(db: None) -> User:
    return factories.staff_user(Role.REGISTRATION_OFFICER, email="officer@council.example", name="Pieter Botha")


def mfa_login(client: Client, user: User) -> Client:
    """Sign a client in as allauth does after a password and an authenticator code."""
    client.force_login(user)
    session = client.session
    now = time.time()
    session["account_authentication_methods"] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "type": "totp"},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return client


@pytest.fixture
def login() -> Callable[[User], Client]:
    def make(user: User, *, mfa: bool = True) -> Client:
        client = Client()
        if mfa:
            return mfa_login(client, user)
        client.force_login(user)
        return client

    return make


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    require(path is not None, "Debian's chromium (apt-get install -y chromium)")
    return str(path)
