from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from core.selectors import council_today
from workforce.selectors import DIMENSIONS


class DashboardForm(forms.Form):
    as_at = forms.DateField(
        label=_("As at the end of"),
        widget=forms.DateInput(attrs={"type": "date", "class": "govuk-input govuk-input--width-10"}),
    )
    by = forms.ChoiceField(
        label=_("Break the workers down by"),
        choices=list(DIMENSIONS.items()),
        initial="region",
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    licensed_only = forms.BooleanField(
        label=_("Count only licensed workers in the indicator"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "govuk-checkboxes__input"}),
    )

    def clean_as_at(self) -> dt.date:
        value: dt.date = self.cleaned_data["as_at"]
        if value > council_today():
            raise forms.ValidationError(_("Choose today or a day in the past."))
        if value.year < 1950:
            raise forms.ValidationError(_("Choose a day after 1950."))
        return value


class ChildPopulationForm(forms.Form):
    file = forms.FileField(
        label=_("Child population file (CSV)"),
        help_text=_('Columns "region" (the region\'s code), "year", "children" and, if you like, "source".'),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, help_text=_("For example: the statistics office's mid-year estimates, 2026.")
    )
