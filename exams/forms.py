"""Forms for exams. They validate what was typed; services do the work."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import User
from exams.models import Exam, ExamVersion
from exams.results_file import MAX_FILE_BYTES
from registry.forms import DateInput

DECISIONS = [("approve", _("Approve")), ("decline", _("Decline"))]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def _when(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"required": _("Enter the date and time."), "invalid": _("Enter a date and time.")},
    )


class SittingForm(forms.Form):
    version = forms.ModelChoiceField(
        label=_("Exam and version"),
        queryset=ExamVersion.objects.filter(exam__is_active=True).select_related("exam"),
        error_messages={"required": _("Choose the exam version.")},
    )
    code = forms.SlugField(
        label=_("Sitting code"),
        max_length=40,
        help_text=_("The code the testing vendor puts in its results file, e.g. sw-2027-03-jhb."),
        error_messages={"required": _("Enter a sitting code.")},
    )
    starts_at = _when(_("Starts at"))
    is_online = forms.BooleanField(label=_("Online sitting"), required=False)
    venue = forms.CharField(label=_("Venue"), max_length=200, required=False)
    capacity = forms.IntegerField(
        label=_("Seats"), min_value=1, max_value=100000, error_messages={"required": _("Enter the number of seats.")}
    )
    booking_opens_at = _when(_("Booking opens"))
    booking_closes_at = _when(_("Booking closes"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        version_field: Any = self.fields["version"]
        version_field.label_from_instance = lambda version: f"{version.exam.name} · {version.code}"


class ApprovalForm(forms.Form):
    email = forms.EmailField(
        label=_("The person's account email"), error_messages={"required": _("Enter the person's email.")}
    )
    exam = forms.ModelChoiceField(
        label=_("Exam"),
        queryset=Exam.objects.filter(is_active=True),
        error_messages={"required": _("Choose the exam.")},
    )
    expires_date = forms.DateField(
        label=_("Approval expires on"), widget=DateInput(), error_messages={"required": _("Enter the expiry date.")}
    )
    reason = forms.CharField(label=_("Reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        exam_field: Any = self.fields["exam"]
        exam_field.label_from_instance = lambda exam: exam.name

    def clean_email(self) -> User:
        email = self.cleaned_data["email"]
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No account uses that email. The person must create an account first."))
        return user


class AccommodationForm(forms.Form):
    details = forms.CharField(
        label=_("What accommodation do you need?"),
        help_text=_("For example, extra time, a reader, a separate room, or large print. Say why, briefly."),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Describe the accommodation you need.")},
    )


class AccommodationDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=DECISIONS,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a decision.")},
    )
    note = forms.CharField(
        label=_("Note to the candidate"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConflictForm(forms.Form):
    candidate_number = forms.CharField(
        label=_("Candidate number"), max_length=20, error_messages={"required": _("Enter the candidate number.")}
    )
    reason = forms.CharField(
        label=_("Nature of the conflict"),
        help_text=_("For example, a relative, a supervisee, or someone you have taught."),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Describe the conflict of interest.")},
    )


class ResultsFileForm(forms.Form):
    results_file = forms.FileField(
        label=_("Results file (CSV)"),
        help_text=_("Columns: candidate_number, sitting_code, raw_score, and scaled_score when the exam is scaled."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"required": _("Choose the results file.")},
    )

    def clean_results_file(self) -> Any:
        uploaded = self.cleaned_data["results_file"]
        if uploaded.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB. Split it, or ask for a smaller export."))
        return uploaded


def _score_field(label: Any, *, required: bool) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal(0),
        max_digits=7,
        decimal_places=2,
        required=required,
        error_messages={"required": _("Enter the score."), "invalid": _("Enter a number.")},
    )


class CorrectionForm(forms.Form):
    raw_score = _score_field(_("Corrected raw score"), required=True)
    scaled_score = _score_field(_("Corrected scaled score"), required=False)
    reason = forms.CharField(
        label=_("Reason for the correction"),
        help_text=_("The candidate is told this reason. The earlier result stays in the history."),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reason for the correction.")},
    )
