from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.models import AlertFrequency


class RosterUploadForm(forms.Form):
    roster = forms.FileField(
        label=_("Roster file (CSV)"),
        help_text=_('One row per person, with a column called "registration_number" and, if you like, "reference".'),
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Key name"), max_length=100, help_text=_("What will use it, for example: HR system (production).")
    )


class AlertSettingsForm(forms.Form):
    frequency = forms.ChoiceField(
        label=_("Email me about changes"), choices=AlertFrequency.choices, widget=forms.RadioSelect
    )
    webhook_url = forms.URLField(
        label=_("Webhook address (optional)"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("We POST each change to this address, signed with HMAC-SHA256. Leave empty for no webhook."),
    )
