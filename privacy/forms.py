from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ExportRequestForm(forms.Form):
    """Staff producing someone's export say which written request it answers."""

    reason = forms.CharField(
        label=_("The written request this answers"),
        help_text=_('Its date, how it reached the council and its reference, e.g. "Letter of 3 May 2027, ref. DP-14".'),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say which written request this export answers.")},
    )
