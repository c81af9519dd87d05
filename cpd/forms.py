"""Forms for CPD. They validate what was typed; services do the work."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cpd.models import ActivityType, Exemption
from registry.forms import DateInput

DECISIONS = [("approve", _("Approve")), ("refuse", _("Refuse"))]
AUDIT_DECISIONS = [
    ("compliant", _("Compliant")),
    ("non_compliant", _("Not compliant")),
    ("extend", _("Extend the deadline")),
    ("exempt", _("Exempt")),
]


class ActivityTypeField(forms.ModelChoiceField):
    """The kinds of activity, by name."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Kind of activity"))
        kwargs.setdefault("error_messages", {"required": _("Choose the kind of activity.")})
        super().__init__(queryset=ActivityType.objects.order_by("name"), **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def _points(label: Any, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0.25"),
        max_value=Decimal(1000),
        max_digits=6,
        decimal_places=2,
        required=required,
        error_messages={"required": _("Enter the points or hours."), "invalid": _("Enter a number, like 2 or 1.5.")},
    )


class ActivityForm(forms.Form):
    activity_type = ActivityTypeField()
    title = forms.CharField(
        label=_("Title"), max_length=200, error_messages={"required": _("Give the activity a title.")}
    )
    provider_name = forms.CharField(label=_("Provider (if any)"), max_length=200, required=False)
    activity_date = forms.DateField(
        label=_("Date"), widget=DateInput(), error_messages={"required": _("Enter the date of the activity.")}
    )
    points = _points(_("Points or hours"))
    is_ethics = forms.BooleanField(label=_("This activity was about professional ethics"), required=False)
    reflection = forms.CharField(
        label=_("Reflection"),
        help_text=_("What you learned, and how it changes your practice. Some kinds of activity require one."),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    evidence = forms.FileField(
        label=_("Evidence (certificate of attendance, notes)"),
        help_text=_("PDF, JPEG or PNG, up to 5 MB."),
        required=False,
    )


class ProviderApplicationForm(forms.Form):
    name = forms.CharField(label=_("Organisation's name"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact email"))
    description = forms.CharField(
        label=_("What you offer"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class AccreditedActivityForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    activity_type = ActivityTypeField()
    held_on = forms.DateField(label=_("Held on"), widget=DateInput())
    proposed_points = _points(_("Points proposed"))
    is_ethics = forms.BooleanField(label=_("About professional ethics"), required=False)


class AttendanceForm(forms.Form):
    attendance = forms.FileField(
        label=_("Attendance list (CSV)"),
        help_text=_("One attendee a row, with a registration_number column; other columns are ignored."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"required": _("Choose the attendance list.")},
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, widget=forms.RadioSelect)
    points = _points(_("Points value (when approving an activity)"), required=False)
    reason = forms.CharField(
        label=_("Reasons"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ExemptionForm(forms.Form):
    registration_number = forms.CharField(label=_("Registration number"), max_length=32)
    cycle_start_year = forms.IntegerField(label=_("Cycle starting in (year)"), min_value=2000, max_value=2100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Exemption.Kind.choices)
    reduction_percent = forms.IntegerField(label=_("Reduction (%)"), min_value=1, max_value=100)
    reason = forms.CharField(label=_("Reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class DrawForm(forms.Form):
    cycle_start_year = forms.IntegerField(label=_("Cycle starting in (year)"), min_value=2000, max_value=2100)
    seed = forms.CharField(
        label=_("Published seed (optional)"),
        help_text=_(
            "For example, the numbers of a public lottery draw. Leave blank for a random seed, which is published."
        ),
        max_length=100,
        required=False,
    )


class AuditSubmitForm(forms.Form):
    statement = forms.CharField(
        label=_("Statement to the auditor"),
        help_text=_(
            "Your CPD log and the evidence you uploaded are your submission. Add anything the auditor should know."
        ),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AuditDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=AUDIT_DECISIONS, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reasons"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reasons for your decision.")},
    )
    new_due_date = forms.DateField(label=_("New deadline (when extending)"), widget=DateInput(), required=False)
