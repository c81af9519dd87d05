from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "retention"
    verbose_name = _("Retention")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from retention import dates

        # Infrastructure, not business logic: SQLite gets the month arithmetic PostgreSQL has built in.
        connection_created.connect(dates.register_sqlite_functions)
