"""Where a person is referenced: every relation in the installed models that points at a given model.

The subject-access export (privacy) and the duplicate merge (registry.services.practitioner_merge)
walk the same graph, so a model added later is found by both without either being told about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models


@dataclass(frozen=True)
class Reference:
    model: type[models.Model]
    field: models.Field

    @property
    def is_history(self) -> bool:
        """A django-simple-history row: a snapshot, which points at the person without owning anything."""
        return hasattr(self.model, "instance_type") and (self.model._meta.object_name or "").startswith("Historical")

    @property
    def is_many_to_many(self) -> bool:
        return bool(self.field.many_to_many)

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field.name}"


def references_to(target: type[models.Model]) -> list[Reference]:
    """Every foreign key, one-to-one and many-to-many field, in every installed model (history
    models included), whose related model is `target`, in a stable order."""
    found: list[Reference] = []
    for model in apps.get_models():
        fields = [*model._meta.concrete_fields, *model._meta.many_to_many]
        found.extend(
            Reference(model=model, field=field)
            for field in fields
            if field.is_relation and field.related_model is target
        )
    return sorted(found, key=lambda reference: reference.label)
