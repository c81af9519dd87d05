from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from legacy.checking import DateOrder
from legacy.columns import TARGETS
from legacy.models import LegacyImport


class LegacyFileForm(forms.Form):
    file = forms.FileField(
        label=_("Register file (CSV or XLSX)"),
        help_text=_("One row per registration, with a header row. At most 50,000 rows and 20 MB."),
    )


class MappingForm(forms.Form):
    """One choice of column per field the register can take, guessed from the header at first."""

    date_order = forms.ChoiceField(label=_("Dates in the file are written as"), choices=DateOrder.CHOICES)

    def __init__(self, *args: Any, legacy_import: LegacyImport, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        columns = [("", _("Not in this file"))] + [
            (str(index), name) for index, name in enumerate(legacy_import.header)
        ]
        self.fields["date_order"].initial = legacy_import.date_order
        for target in TARGETS:
            chosen = legacy_import.mapping.get(target.key)
            self.fields[target.key] = forms.ChoiceField(
                label=str(target.label),
                choices=columns,
                required=target.required,
                initial="" if chosen is None else str(chosen),
                error_messages={"required": _("Choose the column that holds %(field)s.") % {"field": target.label}},
            )

    def target_fields(self) -> list[forms.BoundField]:
        return [self[target.key] for target in TARGETS]

    def mapping(self) -> dict[str, int | None]:
        return {
            target.key: int(self.cleaned_data[target.key]) if self.cleaned_data.get(target.key) else None
            for target in TARGETS
        }


class MergeForm(forms.Form):
    keep = forms.ChoiceField(label=_("Which record stays"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Why are these the same person?"),
        max_length=1000,
        widget=forms.Textarea,
        help_text=_("For example: same ID number on both identity documents; confirmed with the practitioner."),
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = self.fields["keep"]
        assert isinstance(keep, forms.ChoiceField)  # noqa: S101
        keep.choices = choices


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("How do you know they are different people?"), max_length=1000, widget=forms.Textarea
    )
