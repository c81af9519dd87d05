from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from core import crypto, db_functions, roles  # noqa: F401 (crypto registers its key check)
        from core.logging import celery_signals_connect

        # Infrastructure hooks, not business logic: keep role groups in step with the code,
        # and give SQLite the same unaccent function PostgreSQL has.
        post_migrate.connect(roles.roles_sync_after_migrate, sender=self)
        connection_created.connect(db_functions.register_sqlite_functions)
        # A task sent during a request carries the request's id into the worker's log lines.
        celery_signals_connect()
