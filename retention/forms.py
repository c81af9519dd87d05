from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.selectors import council_today


class FlagIdsField(forms.Field):
    """The ticked rows' flag ids (checkboxes named "flags" in the review table)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        try:
            return sorted({int(item) for item in value})
        except (TypeError, ValueError) as error:
            raise forms.ValidationError(_("Choose records from the list.")) from error


class FlagDecisionForm(forms.Form):
    KEEP, DISPOSE = "keep", "dispose"

    flags = FlagIdsField(required=False)
    scope = forms.ChoiceField(
        label=_("Which records?"),
        choices=(("ticked", _("The records ticked above")), ("all", _("Every record of this kind awaiting review"))),
        initial="ticked",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose which records the decision is for.")},
    )
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=(
            (KEEP, _("Keep them, and review them again on a date")),
            (DISPOSE, _("Dispose of them as described above")),
        ),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose keep or dispose.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("Recorded in the audit trail, for example the law or case that needs the records kept."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("Give the reason for the decision.")},
    )
    keep_until = forms.DateField(
        label=_("Review again on"),
        help_text=_("Only when keeping. The records are put back for review on this date."),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("scope") == "ticked" and not cleaned.get("flags") and "flags" not in self.errors:
            self.add_error("scope", _("Tick at least one record, or choose every record of this kind."))
        if cleaned.get("decision") == self.KEEP:
            keep_until: dt.date | None = cleaned.get("keep_until")
            if keep_until is None:
                if "keep_until" not in self.errors:
                    self.add_error("keep_until", _("Give the date to review the records again."))
            elif keep_until <= council_today():
                self.add_error("keep_until", _("The date to review them again must be in the future."))
        return cleaned
