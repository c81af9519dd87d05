from typing import Any

from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _keys_changed(sender: Any, **kwargs: Any) -> None:
    from portal import keycache

    transaction.on_commit(keycache.keys_changed, robust=True)


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Public register")

    def ready(self) -> None:
        from portal.models import ApiKey, EmployerOrganisation

        # Any change to a key or an organisation (a revocation, an organisation switched off in the admin)
        # makes every process forget the keys it remembers (portal.keycache).
        for model in (ApiKey, EmployerOrganisation):
            post_save.connect(_keys_changed, sender=model, dispatch_uid=f"keycache-{model.__name__}-save")
            post_delete.connect(_keys_changed, sender=model, dispatch_uid=f"keycache-{model.__name__}-delete")
