"""Forms for the complaint form, the conduct officers' and registrars' steps, and the hearing panel."""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.exceptions import UploadRejected
from core.models import User
from core.uploads import upload_check
from discipline.models import ComplainantRole, DecisionOutcome, RestrictionKind, SanctionKind
from licensing.forms import amount_in_minor
from registry.forms import DateInput
from registry.numbers import looks_like_registration_number, normalise_registration_number

_FORM_STAMP_SALT = "discipline.complaint-form"
_FORM_STAMP_MAX_AGE = 24 * 3600


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (Django's documented pattern); each is checked by the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(each, initial) for each in data if each]
        return [single(data, initial)] if data else []


def form_stamp() -> str:
    """A signed time for the form, so a reply can be told from a robot's instant one without a CAPTCHA."""
    return signing.dumps(time.time(), salt=_FORM_STAMP_SALT)


class ComplaintForm(forms.Form):
    complainant_role = forms.ChoiceField(
        label=_("Who are you?"), choices=ComplainantRole.choices, widget=forms.RadioSelect
    )
    practitioner_named = forms.CharField(
        label=_("The practitioner's name"),
        max_length=200,
        required=False,
        help_text=_("As much of it as you know."),
    )
    registration_number_given = forms.CharField(
        label=_("Their registration number, if you know it"),
        max_length=32,
        required=False,
        help_text=_("It is on their certificate and on the public register, for example SW-0000123."),
    )
    workplace_named = forms.CharField(label=_("Where they work, if you know"), max_length=200, required=False)
    incident_date = forms.DateField(
        label=_("When did it happen?"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave this empty if it went on over time or you are not sure."),
    )
    description = forms.CharField(
        label=_("What happened?"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
        help_text=_("Tell us in your own words. You can also attach documents or photos."),
    )
    attachments = MultipleFileField(
        label=_("Documents or photos (optional)"),
        required=False,
        help_text=_("Up to 5 files: PDF, JPG or PNG, each smaller than 5 MB."),
    )
    complainant_name = forms.CharField(label=_("Your name (optional)"), max_length=200, required=False)
    complainant_email = forms.EmailField(
        label=_("Your email address (optional)"),
        required=False,
        help_text=_("We will send you your reference and tell you when anything changes."),
    )
    complainant_phone = forms.CharField(label=_("Your phone number (optional)"), max_length=40, required=False)
    anonymous_to_practitioner = forms.BooleanField(
        label=_("Do not tell the practitioner who I am"),
        required=False,
        initial=True,
        help_text=_("The council will still know who you are if you give your name."),
    )
    declaration = forms.BooleanField(
        label=_("What I have written is true to the best of my knowledge"),
        error_messages={"required": _("Confirm that what you have written is true to the best of your knowledge.")},
    )
    # Robots fill every field and reply at once; people leave this one empty and take their time.
    website = forms.CharField(required=False, label=_("Leave this empty"))
    form_stamp = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["description"].error_messages["required"] = _("Tell us what happened.")
        self.fields["complainant_role"].error_messages["required"] = _("Say who you are.")

    def clean_registration_number_given(self) -> str:
        raw = " ".join(self.cleaned_data["registration_number_given"].split())
        if raw and (not looks_like_registration_number(raw) or normalise_registration_number(raw) is None):
            raise forms.ValidationError(
                _("Check the registration number: it is not a valid one. Leave it empty if you are not sure.")
            )
        return normalise_registration_number(raw) or "" if raw else ""

    def clean_attachments(self) -> list[Any]:
        # Checked here too (the service checks again), so one reply names a bad file with the other problems.
        files = self.cleaned_data["attachments"]
        for upload in files:
            try:
                upload_check(uploaded=upload)
            except UploadRejected as error:
                raise forms.ValidationError(error.message) from None
        return files

    def clean_incident_date(self) -> Any:
        from core.selectors import council_today

        value = self.cleaned_data["incident_date"]
        if value is not None and value > council_today():
            raise forms.ValidationError(_("The date can't be in the future."))
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("practitioner_named", "").strip() and not cleaned.get("registration_number_given"):
            self.add_error("practitioner_named", _("Give the practitioner's name or their registration number."))
        if cleaned.get("website"):
            raise forms.ValidationError(_("The form could not be sent. Please try again."))
        try:
            shown_at = float(
                signing.loads(cleaned.get("form_stamp", ""), salt=_FORM_STAMP_SALT, max_age=_FORM_STAMP_MAX_AGE)
            )
        except (signing.BadSignature, TypeError, ValueError):
            raise forms.ValidationError(
                _("The form had expired. Your answers are kept below: check them and send it again.")
            ) from None
        if time.time() - shown_at < settings.COUNCIL_COMPLAINT_MIN_SECONDS:
            raise forms.ValidationError(_("The form was sent too quickly. Check your answers and send it again."))
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class TriageForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Triage decision"),
        choices=[("open", _("Open a case")), ("close", _("Close with no action"))],
        widget=forms.RadioSelect,
    )
    registration_number = forms.CharField(
        label=_("Registration number of the practitioner (to open a case)"), max_length=32, required=False
    )
    allegation = forms.CharField(
        label=_("The allegation, as the case will state it"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("Leave empty to use the complaint's own words."),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class AssignForm(forms.Form):
    officer = forms.ModelChoiceField(label=_("Conduct officer"), queryset=User.objects.none())

    def __init__(self, *args: Any, officers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officers  # type: ignore[attr-defined]


class TeamForm(forms.Form):
    email = forms.EmailField(label=_("Staff member's email"))
    action = forms.ChoiceField(choices=[("add", _("Add")), ("remove", _("Remove"))], widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class ChargeForm(forms.Form):
    charges = forms.CharField(
        label=pgettext_lazy("conduct case", "Charges"), widget=forms.Textarea(attrs={"rows": 5}), max_length=20000
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(label=_("File"))
    in_bundle = forms.BooleanField(label=_("Put it in the hearing bundle"), required=False, initial=True)


class InterimOrderForm(forms.Form):
    kind = forms.ChoiceField(label=_("Order"), choices=RestrictionKind.choices, widget=forms.RadioSelect)
    conditions = forms.CharField(
        label=_("Conditions (for an order of conditions)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    review_date = forms.DateField(
        label=_("Review by"), required=False, widget=DateInput(), help_text=_("Empty: the rules' review period.")
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class HearingForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    venue = forms.CharField(label=_("Venue"), max_length=200)
    members = forms.ModelMultipleChoiceField(
        label=_("Panel members"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    chair = forms.ModelChoiceField(label=_("Chair"), queryset=User.objects.none())

    def __init__(self, *args: Any, panel_members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = panel_members  # type: ignore[attr-defined]
        self.fields["chair"].queryset = panel_members  # type: ignore[attr-defined]


class AppealForm(forms.Form):
    lodged_date = forms.DateField(label=_("Lodged on"), widget=DateInput())
    grounds = forms.CharField(label=_("Grounds of appeal"), widget=forms.Textarea(attrs={"rows": 4}), max_length=20000)
    stay_requested = forms.BooleanField(label=_("Stay the sanction pending the appeal"), required=False)


class AppealDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Appeal decision"),
        choices=[("allow", _("Allow: quash the sanction")), ("dismiss", _("Dismiss: the sanction stands"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class DeclarationForm(forms.Form):
    has_conflict = forms.ChoiceField(
        label=_("Do you have a conflict of interest in this case?"),
        choices=[("no", _("No")), ("yes", _("Yes: I stand down"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("The conflict, if any"), required=False, max_length=2000)


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=DecisionOutcome.choices, widget=forms.RadioSelect)
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 5}), max_length=50000)
    sanction_kind = forms.ChoiceField(
        label=_("Sanction"), choices=[("", _("None")), *SanctionKind.choices], required=False
    )
    sanction_months = forms.IntegerField(label=_("For (months)"), min_value=1, max_value=120, required=False)
    conditions = forms.CharField(label=_("Conditions"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    fine = forms.CharField(label=_("Fine"), required=False, max_length=20)
    reasons = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 5}), max_length=50000)
    public_summary = forms.CharField(
        label=_("Short summary for the public register"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=600,
        help_text=_("Shown with the sanction for its publication period. Leave out names of anyone else."),
    )

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency

    def clean_fine(self) -> int | None:
        text = self.cleaned_data["fine"].strip()
        return amount_in_minor(text, self.currency) if text else None
