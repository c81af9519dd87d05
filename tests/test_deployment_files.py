"""The deployment files (Dockerfile, docker-compose.yml, .env.example, .dockerignore) against the code.

This machine has a Docker client but no engine, so nothing here builds or runs an image. Instead
every command the files run is checked against this project: the WSGI module, the Celery app and
its beat schedule, the manage.py subcommands, the executables in the virtualenv, and the
environment variables the settings read. No test here touches the database.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import shlex
import shutil
import sys
from functools import cache
from pathlib import Path
from typing import Any

import environ
import pytest
import yaml
from celery import Celery
from celery.app.utils import find_app
from celery.schedules import crontab
from django.conf import settings
from django.core.management import get_commands
from django.urls import resolve

from core.access import PUBLIC, rule_for

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"
OPERATIONS = ROOT / "docs" / "operations.md"
# The virtualenv running these tests (not resolved: the interpreter is a symlink out of it).
VENV_BIN = Path(sys.executable).parent

APP_SERVICES = ("web", "worker", "beat")
# production.py reads these with no default, so the build and docker-compose must provide them.
REQUIRED_IN_PRODUCTION = {
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "DJANGO_EMAIL_BACKEND",
    "CELERY_BROKER_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_PUBLISHABLE_KEY",
    "STRIPE_WEBHOOK_SECRET",
}
# Variables the deployment files may use that the settings do not read: Django's own settings
# switch (read by config/wsgi.py, manage.py and the Celery app), and the interpreter's PATH
# (the virtualenv) and PYTHONUNBUFFERED (log lines reach `docker logs` at once).
NOT_SETTINGS = {"DJANGO_SETTINGS_MODULE", "PATH", "PYTHONUNBUFFERED"}

WEB_COMMAND = (
    'sh -c "python manage.py migrate --noinput && '
    'gunicorn config.wsgi:application --bind 0.0.0.0:8000 --workers 3 --access-logfile -"'
)
WORKER_COMMAND = "celery -A config worker --loglevel=INFO"
BEAT_COMMAND = "celery -A config beat --loglevel=INFO --schedule=/tmp/celerybeat-schedule"
IMAGE_CMD = ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]


# --- Reading the files ---------------------------------------------------------------------------


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def service(name: str) -> dict[str, Any]:
    return compose()["services"][name]


@cache
def dockerfile_instructions() -> tuple[tuple[str, str], ...]:
    """(INSTRUCTION, arguments) pairs, with line continuations joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    current = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # Docker drops comment lines, even inside a continued instruction.
        if line.endswith("\\"):
            current += line[:-1].strip() + " "
            continue
        current += line
        keyword, _, arguments = current.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    assert current == "", "the Dockerfile ends inside a continued instruction"
    return tuple(instructions)


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for keyword, arguments in dockerfile_instructions():
        if keyword == "FROM":
            stages.append([])
        assert stages, f"{keyword} before the first FROM"
        stages[-1].append((keyword, arguments))
    return stages


def runtime_stage() -> list[tuple[str, str]]:
    return dockerfile_stages()[-1]


def arguments_of(stage: list[tuple[str, str]], keyword: str) -> list[str]:
    return [arguments for instruction, arguments in stage if instruction == keyword]


def env_instruction_names(arguments: str) -> set[str]:
    """The names an ENV instruction sets (NAME=value pairs, or the legacy `ENV NAME value`)."""
    pairs = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", arguments)
    return set(pairs) if pairs else {arguments.split()[0]}


def healthcheck_cmd() -> list[str]:
    (healthcheck,) = arguments_of(runtime_stage(), "HEALTHCHECK")
    exec_form = healthcheck.split(" CMD ", 1)[1]
    return json.loads(exec_form)


def image_cmd() -> list[str]:
    (cmd,) = arguments_of(runtime_stage(), "CMD")
    return json.loads(cmd)


def shell_commands(command: str) -> list[list[str]]:
    """The argv of each command a compose `command:` string runs (`sh -c "a && b"` is unwrapped)."""
    argv = shlex.split(command)
    if argv[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in argv[2].split("&&")]
    return [argv]


def commands_run() -> list[list[str]]:
    """Every command the app containers run: the image's CMD and check, and each service's."""
    commands = [image_cmd(), healthcheck_cmd()]
    for name in APP_SERVICES:
        commands.extend(shell_commands(service(name)["command"]))
        check = service(name).get("healthcheck", {})
        if "test" in check:
            kind, *rest = check["test"]
            commands.extend(shell_commands(rest[0]) if kind == "CMD-SHELL" else [rest])
    return commands


@cache
def settings_env_reads() -> dict[str, set[str]]:
    """Each variable read through django-environ in config/, mapped to the files that read it.

    Matches `env("NAME", ...)` and `env.bool/int/list/db/...("NAME", ...)` with `env` the one
    environ.Env instance (config/env.py).
    """
    reads: dict[str, set[str]] = {}
    for path in sorted((ROOT / "config").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _is_env_call(node.func) and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    reads.setdefault(first.value, set()).add(path.relative_to(ROOT).as_posix())
    return reads


def _is_env_call(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "env"
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "env"


def production_reads_without_default() -> set[str]:
    tree = ast.parse((ROOT / "config" / "settings" / "production.py").read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and _is_env_call(node.func)
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and not any(keyword.arg == "default" for keyword in node.keywords)
    }


def compose_env_names() -> set[str]:
    """Every variable docker-compose.yml sets in a container or interpolates (`$$` is a literal $)."""
    names: set[str] = set()
    for definition in compose()["services"].values():
        environment = definition.get("environment", {})
        if isinstance(environment, list):
            names.update(item.split("=", 1)[0] for item in environment)
        else:
            names.update(environment)
    text = COMPOSE.read_text(encoding="utf-8")
    names.update(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", text))
    names.update(re.findall(r"(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)", text))
    return names


def dockerfile_env_names() -> set[str]:
    """Every variable the Dockerfile sets (ENV, ARG, `NAME=value cmd` in RUN) or reads."""
    names: set[str] = set()
    for keyword, arguments in dockerfile_instructions():
        if keyword == "ENV":
            names |= env_instruction_names(arguments)
        elif keyword == "ARG":
            names.add(arguments.split("=", 1)[0])
        elif keyword == "RUN":
            names.update(re.findall(r"(?:^|\s|&&)([A-Z][A-Z0-9_]*)=", arguments))
        names.update(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", arguments))
        names.update(re.findall(r"environ(?:\.get\(|\[)'([A-Za-z_][A-Za-z0-9_]*)'", arguments))
    return names


def env_example() -> list[tuple[str, str]]:
    return [
        (match.group(1), match.group(2))
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if (match := re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", line))
    ]


# --- docker-compose.yml --------------------------------------------------------------------------


def test_compose_has_exactly_the_five_services() -> None:
    assert set(compose()["services"]) == {"postgres", "redis", "web", "worker", "beat"}
    assert set(compose()["volumes"]) == {"postgres-data", "media"}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_build_this_repositorys_dockerfile(name: str) -> None:
    build = service(name)["build"]
    assert build == {"context": ".", "dockerfile": "Dockerfile"}
    assert (ROOT / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
    assert "image" not in service(name)


def test_postgres_and_redis_services() -> None:
    postgres, redis = service("postgres"), service("redis")
    assert postgres["image"] == "postgres:16"
    assert postgres["environment"] == {
        "POSTGRES_DB": "registry",
        "POSTGRES_USER": "registry",
        "POSTGRES_PASSWORD": "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}",
    }
    assert postgres["volumes"] == ["postgres-data:/var/lib/postgresql/data"]
    assert postgres["healthcheck"]["test"] == ["CMD-SHELL", "pg_isready -U registry -d registry"]
    assert redis["image"] == "redis:7"
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "env_file" not in postgres
    assert "env_file" not in redis


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_postgres_and_redis(name: str) -> None:
    assert service(name)["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert service(name)["restart"] == "unless-stopped"
    assert service(name)["env_file"] == [{"path": ".env", "required": False}]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_share_the_production_environment(name: str) -> None:
    environment = service(name)["environment"]
    assert environment == {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "${DJANGO_SECRET_KEY:?set DJANGO_SECRET_KEY in .env}",
        "DJANGO_ALLOWED_HOSTS": "${DJANGO_ALLOWED_HOSTS:?set DJANGO_ALLOWED_HOSTS in .env}",
        "DJANGO_EMAIL_BACKEND": "${DJANGO_EMAIL_BACKEND:?set DJANGO_EMAIL_BACKEND in .env}",
        "DATABASE_URL": "postgres://registry:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}@postgres:5432/registry",
        "CELERY_BROKER_URL": "redis://redis:6379/0",
        # The shared cache for rate limits, in the compose Redis (not .env.example's loopback one).
        "DJANGO_CACHE_URL": "redis://redis:6379/1",
        "STRIPE_SECRET_KEY": "${STRIPE_SECRET_KEY:?set STRIPE_SECRET_KEY in .env}",
        "STRIPE_PUBLISHABLE_KEY": "${STRIPE_PUBLISHABLE_KEY:?set STRIPE_PUBLISHABLE_KEY in .env}",
        "STRIPE_WEBHOOK_SECRET": "${STRIPE_WEBHOOK_SECRET:?set STRIPE_WEBHOOK_SECRET in .env}",
        "COUNCIL_SIGNING_KEY": "${COUNCIL_SIGNING_KEY:?set COUNCIL_SIGNING_KEY in .env}",
        "COUNCIL_FIELD_ENCRYPTION_KEYS": "${COUNCIL_FIELD_ENCRYPTION_KEYS:?set COUNCIL_FIELD_ENCRYPTION_KEYS in .env}",
    }
    # Whatever production.py requires with no default is provided, failing fast when unset.
    assert production_reads_without_default() == REQUIRED_IN_PRODUCTION
    assert set(environment) >= REQUIRED_IN_PRODUCTION


def test_compose_urls_point_at_the_compose_services() -> None:
    environment = service("web")["environment"]
    url = environment["DATABASE_URL"].replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}", "example")
    database = environ.Env.db_url_config(url)
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"], database["USER"]) == (
        "postgres",
        5432,
        "registry",
        "registry",
    )
    assert database["NAME"] == service("postgres")["environment"]["POSTGRES_DB"]
    assert database["USER"] == service("postgres")["environment"]["POSTGRES_USER"]
    assert environment["CELERY_BROKER_URL"].split("//", 1)[1].split(":", 1)[0] == "redis"


def test_app_service_commands() -> None:
    assert service("web")["command"] == WEB_COMMAND
    assert service("worker")["command"] == WORKER_COMMAND
    assert service("beat")["command"] == BEAT_COMMAND
    assert service("web")["ports"] == ["127.0.0.1:8000:8000"]
    assert service("web")["volumes"] == ["media:/app/media"]
    assert service("worker")["volumes"] == ["media:/app/media"]
    assert "volumes" not in service("beat")


def test_worker_and_beat_replace_the_images_http_healthcheck() -> None:
    assert service("worker")["healthcheck"]["test"] == [
        "CMD-SHELL",
        "celery -A config inspect ping --destination celery@$$HOSTNAME --timeout 10",
    ]
    assert service("beat")["healthcheck"] == {"disable": True}
    assert "healthcheck" not in service("web")  # the image's HEALTHCHECK applies


# --- Dockerfile ----------------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_on_python_312_slim() -> None:
    assert [stage[0][1] for stage in dockerfile_stages()] == [
        "python:3.12-slim AS build",
        "python:3.12-slim AS runtime",
    ]
    assert arguments_of(runtime_stage(), "COPY") == ["--from=build /opt/venv /opt/venv", "--from=build /app /app"]


def test_dockerfile_build_stage_installs_compiles_and_collects() -> None:
    build = dockerfile_stages()[0]
    runs = arguments_of(build, "RUN")
    assert arguments_of(build, "WORKDIR") == ["/app"]
    assert arguments_of(build, "COPY") == ["pyproject.toml ./", ". ."]
    assert "apt-get install -y --no-install-recommends gettext" in runs[0]
    assert runs[2] == "pip install --no-cache-dir --upgrade pip && pip install --no-cache-dir ."
    (build_step,) = [run for run in runs if "collectstatic" in run]
    assert (
        'sh -c "python manage.py compilemessages -v 0 && python manage.py collectstatic --noinput -v 0"' in build_step
    )
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in build_step
    # Exactly the variables production.py requires get throwaway values, for this step only.
    assert set(re.findall(r"(?:^|\s)([A-Z][A-Z0-9_]*)=", build_step)) == REQUIRED_IN_PRODUCTION | {
        "DJANGO_SETTINGS_MODULE"
    }


def test_dockerfile_bakes_no_secret_into_the_image() -> None:
    baked: set[str] = set()
    for keyword, arguments in dockerfile_instructions():
        if keyword == "ENV":
            baked |= env_instruction_names(arguments)
        elif keyword == "ARG":
            baked.add(arguments.split("=", 1)[0])
    # Nothing from REQUIRED_IN_PRODUCTION: those come from the environment at run time.
    assert baked == {"PATH", "PYTHONUNBUFFERED", "DJANGO_SETTINGS_MODULE"}


def test_dockerfile_runtime_stage() -> None:
    stage = runtime_stage()
    assert arguments_of(stage, "WORKDIR") == ["/app"]
    assert arguments_of(stage, "USER") == ["registry"]
    assert arguments_of(stage, "EXPOSE") == ["8000"]
    assert arguments_of(stage, "ENTRYPOINT") == []
    env = " ".join(arguments_of(stage, "ENV"))
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in env
    assert 'PATH="/opt/venv/bin:$PATH"' in env
    assert any("useradd --system --uid 10001 --gid registry" in run for run in arguments_of(stage, "RUN"))


def test_dockerfile_cmd_is_gunicorn_on_config_wsgi() -> None:
    assert image_cmd() == IMAGE_CMD
    web_gunicorn = [argv for argv in shell_commands(service("web")["command"]) if argv[0] == "gunicorn"]
    assert web_gunicorn == [IMAGE_CMD]


def test_dockerfile_healthcheck_probes_a_public_page() -> None:
    (healthcheck,) = arguments_of(runtime_stage(), "HEALTHCHECK")
    assert healthcheck.startswith("--interval=30s --timeout=10s --start-period=40s --retries=3 CMD [")
    argv = healthcheck_cmd()
    assert argv[:2] == ["python", "-c"]
    ast.parse(argv[2])  # the probe is valid Python
    assert "HTTPConnection('127.0.0.1', 8000, timeout=8)" in argv[2]
    assert "c.request('GET', '/', headers={'Host': h, 'X-Forwarded-Proto': 'https'})" in argv[2]
    # The probe sends X-Forwarded-Proto: https because production trusts exactly that header.
    production = ast.parse((ROOT / "config" / "settings" / "production.py").read_text(encoding="utf-8"))
    proxy_header = [
        ast.literal_eval(node.value)
        for node in production.body
        if isinstance(node, ast.Assign)
        and [ast.unparse(target) for target in node.targets] == ["SECURE_PROXY_SSL_HEADER"]
    ]
    assert proxy_header == [("HTTP_X_FORWARDED_PROTO", "https")]
    # GET / must be open to anonymous callers, or the probe would get a redirect to log in.
    assert rule_for(resolve("/")) is PUBLIC


# --- What the commands name exists in this project -----------------------------------------------


def test_gunicorn_target_is_config_wsgi_application() -> None:
    targets = {arg for argv in commands_run() if argv[0] == "gunicorn" for arg in argv[1:2]}
    assert targets == {"config.wsgi:application"}
    (target,) = targets
    module, attribute = target.split(":")
    path = ROOT / Path(*module.split(".")).with_suffix(".py")
    assert path == ROOT / "config" / "wsgi.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assigned = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and [ast.unparse(target) for target in node.targets] == [attribute]
    ]
    assert [ast.unparse(value) for value in assigned] == ["get_wsgi_application()"]
    assert settings.WSGI_APPLICATION == "config.wsgi.application"


def test_celery_target_config_resolves_to_the_project_app() -> None:
    targets = {argv[2] for argv in commands_run() if argv[0] == "celery"}
    assert targets == {"config"}
    assert {argv[1] for argv in commands_run() if argv[0] == "celery"} == {"-A"}
    app = importlib.import_module("config.celery_app").app
    package = importlib.import_module("config")
    # config/__init__.py exports the app as `celery_app`, which is what `celery -A config` finds.
    assert package.__all__ == ("celery_app",)
    assert package.celery_app is app
    assert isinstance(app, Celery)
    assert find_app("config") is app
    assert app.main == "council_registry"


def test_beat_schedule_names_registered_tasks() -> None:
    from config.celery_app import app

    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    assert set(schedule) == {
        "notification-sweep",
        "renewal-daily",
        "renewal-reminders",
        "stripe-events-sweep",
        "cpd-compliance",
        "cpd-audit-reminders",
        "discipline-daily",
        "employer-alerts",
        "webhook-retries",
        "employer-alert-digest",
        "retention-sweep",
    }
    assert schedule["cpd-compliance"]["task"] == "cpd.tasks.compliance_nightly"
    assert schedule["cpd-audit-reminders"]["task"] == "cpd.tasks.audit_reminders_daily"
    assert schedule["discipline-daily"]["task"] == "discipline.tasks.daily_run"
    assert schedule["notification-sweep"]["task"] == "core.tasks.notification_sweep"
    assert schedule["notification-sweep"]["schedule"] == crontab(minute="*/5")
    assert schedule["renewal-daily"]["task"] == "licensing.tasks.renewal_daily"
    assert schedule["renewal-daily"]["schedule"] == crontab(hour=2, minute=15)
    assert schedule["renewal-reminders"]["task"] == "licensing.tasks.renewal_reminders_daily"
    assert schedule["renewal-reminders"]["schedule"] == crontab(hour=7, minute=30)
    assert schedule["stripe-events-sweep"]["task"] == "licensing.tasks.stripe_events_sweep"
    assert schedule["employer-alerts"]["task"] == "portal.tasks.alerts_run"
    assert schedule["employer-alerts"]["schedule"] == crontab(minute="*")
    assert schedule["webhook-retries"]["task"] == "portal.tasks.webhook_retry_due"
    assert schedule["employer-alert-digest"]["task"] == "portal.tasks.alert_digest_daily"
    assert schedule["retention-sweep"]["task"] == "retention.tasks.retention_sweep_daily"
    assert schedule["retention-sweep"]["schedule"] == crontab(hour=3, minute=30)
    for entry in schedule.values():
        assert entry["task"] in app.tasks


def test_every_executable_is_in_the_virtualenv() -> None:
    executables = {argv[0] for argv in commands_run()}
    assert executables == {"gunicorn", "celery", "python"}
    for name in sorted(executables):
        assert shutil.which(name, path=str(VENV_BIN)) is not None, f"{name} is not installed in {VENV_BIN}"


def test_manage_py_subcommands_exist() -> None:
    used = set(re.findall(r"manage\.py (\w+)", DOCKERFILE.read_text(encoding="utf-8") + COMPOSE.read_text("utf-8")))
    assert used == {"migrate", "compilemessages", "collectstatic"}
    documented = set(re.findall(r"manage\.py (\w+)", OPERATIONS.read_text(encoding="utf-8")))
    assert documented == {
        "migrate",
        "createsuperuser",
        "audit_verify",
        "check",
        "shell",
        "collectstatic",
        "compilemessages",
        "seed_demo",
        "demo_totp_code",
    }
    assert sorted((used | documented) - set(get_commands())) == []


# --- Environment variables -----------------------------------------------------------------------


def test_settings_scan_finds_the_reads() -> None:
    reads = settings_env_reads()
    assert reads["DJANGO_SECRET_KEY"] == {"config/settings/base.py", "config/settings/production.py"}
    assert reads["DATABASE_URL"] == {
        "config/settings/base.py",
        "config/settings/production.py",
        "config/settings/test.py",
    }
    assert reads["DJANGO_READ_DOT_ENV_FILE"] == {"config/env.py"}
    assert reads["DJANGO_SECURE_HSTS_PRELOAD"] == {"config/settings/production.py"}
    assert 'os.environ.setdefault("DJANGO_SETTINGS_MODULE"' in (ROOT / "config" / "wsgi.py").read_text(encoding="utf-8")


def test_compose_uses_only_variables_the_project_reads() -> None:
    names = compose_env_names()
    assert names == {
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "DJANGO_EMAIL_BACKEND",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "DJANGO_CACHE_URL",
        "STRIPE_SECRET_KEY",
        "STRIPE_PUBLISHABLE_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "COUNCIL_SIGNING_KEY",
        "COUNCIL_FIELD_ENCRYPTION_KEYS",
        "POSTGRES_DB",
        "POSTGRES_USER",
        "POSTGRES_PASSWORD",
    }
    unknown = {name for name in names if name not in settings_env_reads() and not name.startswith("POSTGRES_")}
    assert unknown == {"DJANGO_SETTINGS_MODULE"}
    assert unknown <= NOT_SETTINGS


def test_dockerfile_uses_only_variables_the_project_reads() -> None:
    names = dockerfile_env_names()
    assert names == {
        "PATH",
        "PYTHONUNBUFFERED",
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "DATABASE_URL",
        "DJANGO_EMAIL_BACKEND",
        "CELERY_BROKER_URL",
        "STRIPE_SECRET_KEY",
        "STRIPE_PUBLISHABLE_KEY",
        "STRIPE_WEBHOOK_SECRET",
    }
    unknown = {name for name in names if name not in settings_env_reads()}
    assert unknown == NOT_SETTINGS


def test_env_example_lists_every_variable_the_settings_read() -> None:
    entries = env_example()
    names = [name for name, _value in entries]
    assert len(names) == len(set(names)), "a variable is listed twice"
    assert set(names) - set(settings_env_reads()) == {"DJANGO_SETTINGS_MODULE", "POSTGRES_PASSWORD"}
    assert set(settings_env_reads()) - set(names) == set()
    assert set(compose_env_names()) - set(names) == {"POSTGRES_DB", "POSTGRES_USER"}  # fixed in compose


def test_env_example_comments_every_variable_and_holds_no_secret() -> None:
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", line):
            assert lines[index - 1].startswith("# "), f"{line.split('=')[0]} has no comment above it"
    values = dict(env_example())
    assert values["DJANGO_SECRET_KEY"] == "replace-me-with-50-random-characters-from-secrets-token-urlsafe"
    assert values["DJANGO_EMAIL_HOST_PASSWORD"] == "change-me"
    assert values["POSTGRES_PASSWORD"] == "change-me-use-openssl-rand-hex-32"
    assert values["DATABASE_URL"] == "postgres://registry:change-me@127.0.0.1:5432/registry"
    assert values["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert values["DJANGO_DEBUG"] == "false"


def test_env_example_values_parse_as_the_settings_expect() -> None:
    values = {name: value.strip('"') for name, value in env_example()}
    for name in ("DJANGO_CONN_MAX_AGE", "COUNCIL_UPLOAD_MAX_BYTES", "DJANGO_EMAIL_PORT", "DJANGO_SECURE_HSTS_SECONDS"):
        assert int(values[name]) >= 0, name
    for name in ("DJANGO_DEBUG", "DJANGO_EMAIL_USE_TLS", "COUNCIL_ALLOW_SIGNUP", "DJANGO_SECURE_SSL_REDIRECT"):
        assert values[name] in {"true", "false"}, name
    assert environ.Env.db_url_config(values["DATABASE_URL"])["ENGINE"] == "django.db.backends.postgresql"
    assert values["COUNCIL_MFA_ISSUER"] == "Council Registry"


# --- .dockerignore -------------------------------------------------------------------------------


def test_dockerignore_keeps_secrets_out_and_the_app_in() -> None:
    patterns = {
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", ".env", ".env.*", "db.sqlite3", "media", "staticfiles", "sent-mail"} <= patterns
    local_apps = [app for app in settings.INSTALLED_APPS if (ROOT / app).is_dir()]
    assert local_apps == [
        "core",
        "registry",
        "licensing",
        "exams",
        "cpd",
        "discipline",
        "portal",
        "workforce",
        "legacy",
        "privacy",
        "retention",
    ]
    needed = {"manage.py", "pyproject.toml", "config", "templates", "static", "locale", *local_apps}
    assert {pattern.rstrip("/") for pattern in patterns} & needed == set()
