from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = _("Licensing")

    def ready(self) -> None:
        # Registers the signing-key system checks (licensing.E001, licensing.E002).
        from licensing import signing  # noqa: F401
