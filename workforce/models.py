"""Reference data for workforce statistics: the child population per region and year.

The register itself (registry) holds everything else the statistics count: people, their region of
work, sex, date of birth, qualifications, employment and register entries, with their history.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel


class ChildPopulation(TimeStampedModel):
    """How many children (under 18) live in a region in a year: the denominator of the headline indicator,
    social service workers per 100,000 children. Imported by staff from the statistics office's CSV."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="child_populations")
    year = models.PositiveSmallIntegerField(_("year"))
    children = models.PositiveIntegerField(_("children"))
    source = models.CharField(_("source"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("child population")
        verbose_name_plural = _("child populations")
        ordering = ("year", "region__name")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["region", "year"], name="workforce_child_pop_region_year"),
        ]
        permissions: ClassVar = [
            ("view_workforce_statistics", "Can see workforce statistics"),
            ("import_child_population", "Can import child population figures"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.region_id} {self.year}: {self.children}"
