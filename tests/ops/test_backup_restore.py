"""Acceptance 5: a backup restores, and the audit chain verifies on the restored copy (and can fail there).

The data is made through the services and committed (a transactional test), so pg_dump, which reads the
database over its own connection, sees it. The restored database is dropped at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from core.models import AuditEvent
from registry.services import application_decide
from tests import factories
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]


def _postgres_url(name: str) -> str:
    settings_dict = connection.settings_dict
    user = settings_dict["USER"] or "postgres"
    host = settings_dict["HOST"] or "127.0.0.1"
    port = settings_dict["PORT"] or 5432
    return f"postgresql://{user}@{host}:{port}/{name}"


def _run(*argv: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, **kwargs)


def _audit_verify(database: str) -> subprocess.CompletedProcess[str]:
    """The operator's command, run against the restored copy as a restore drill runs it."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _postgres_url(database).replace("postgresql://", "postgres://"),
    }
    return _run(sys.executable, "manage.py", "audit_verify", "--skip-checks", env=environment, cwd=ROOT)


@pytest.fixture
def restored_name() -> Iterator[str]:
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    yield name
    _run("dropdb", "--if-exists", "--force", f"--maintenance-db={_postgres_url('postgres')}", name)


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_and_its_audit_chain_verifies(categories, registrar, restored_name, tmp_path):
    require(connection.vendor == "postgresql", "PostgreSQL")
    for tool in ("pg_dump", "pg_restore", "createdb", "dropdb", "psql"):
        require(shutil.which(tool) is not None, f"{tool} (postgresql-client)")
    # given a register with its audit trail, made through the services and committed
    for given in ("José", "Thandi", "Françoise"):
        application = factories.application_in_review(
            applicant=factories.UserFactory(),
            category=categories["social-worker"],
            registrar=registrar,
            given_names=given,
        )
        application_decide(actor=registrar, application=application, approve=True, reason="")
    events = AuditEvent.objects.count()
    assert events >= 6
    # when the database is dumped as the operations guide says, and restored into a fresh database
    dump = tmp_path / "registry.dump"
    dumped = _run("pg_dump", "--format=custom", f"--file={dump}", _postgres_url(connection.settings_dict["NAME"]))
    assert dumped.returncode == 0, dumped.stderr
    created = _run("createdb", f"--maintenance-db={_postgres_url('postgres')}", restored_name)
    assert created.returncode == 0, created.stderr
    restored = _run(
        "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "-d", _postgres_url(restored_name), str(dump)
    )
    assert restored.returncode == 0, restored.stderr
    # then audit_verify passes on the restored copy, over every event
    verified = _audit_verify(restored_name)
    assert verified.returncode == 0, verified.stderr
    assert f"Audit chain intact: {events} events verified." in verified.stdout
    # and when one event is altered in the copy (the trigger put aside, as a database owner could)
    tampered_id = AuditEvent.objects.order_by("id").values_list("id", flat=True)[events // 2]
    tamper = (
        "BEGIN; SET LOCAL session_replication_role = replica; "  # noqa: S608 - an integer id, in a test
        f"UPDATE core_auditevent SET reason = 'nothing to see here' WHERE id = {int(tampered_id)}; COMMIT;"
    )
    altered = _run("psql", "-v", "ON_ERROR_STOP=1", "-d", _postgres_url(restored_name), "-c", tamper)
    assert altered.returncode == 0, altered.stderr
    # then audit_verify fails, naming the altered event
    broken = _audit_verify(restored_name)
    assert broken.returncode != 0
    assert f"Audit chain broken at event #{tampered_id}" in broken.stderr
