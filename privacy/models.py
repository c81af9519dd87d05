"""The privacy app keeps no data of its own: the export is read from every other app's tables.

Django attaches permissions to a model, so an unmanaged model with no table carries the app's one
permission. Every export is recorded as an audit event (privacy.services), not in a table here.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class PersonalData(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("personal data")
        verbose_name_plural = _("personal data")
        permissions: ClassVar = [
            ("export_personal_data", "Can export everything held about a person (subject-access request)"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"
