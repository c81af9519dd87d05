"""Forms for applicants and staff. They validate input; services do the work."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import User
from registry.models import Application, ApplicationDocument, QualificationType, RegisterCategory, RegisterEntry, Sector
from registry.services import STAFF_SETTABLE_ENTRY_STATUSES


def _name_label(obj: Any) -> str:
    """Choices show the name people know, not the model's "#pk name" identity string."""
    return str(obj.name)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class CategoryChoiceForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Which part of the register are you applying to join?"),
        queryset=RegisterCategory.objects.none(),
        to_field_name="code",
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("Select the category you are applying for.")},
    )

    def __init__(self, *args: Any, categories: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories  # type: ignore[attr-defined]
        self.fields["category"].label_from_instance = _name_label  # type: ignore[attr-defined]


class PersonalDetailsForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = (
            "given_names",
            "family_name",
            "previous_names",
            "date_of_birth",
            "sex",
            "national_id",
            "phone",
            "address",
        )
        widgets = {"date_of_birth": DateInput(), "address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "sex": _("Optional. Used only for anonymous workforce statistics; never shown on the public register."),
            "previous_names": _("For example, a name before marriage. Leave blank if none."),
            "date_of_birth": _("This is never shown on the public register."),
            "national_id": _("This is never shown on the public register."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("given_names", "family_name", "date_of_birth", "national_id"):
            self.fields[name].required = True
        self.fields["given_names"].error_messages["required"] = _("Enter your given names.")
        self.fields["family_name"].error_messages["required"] = _("Enter your family name.")
        self.fields["date_of_birth"].error_messages["required"] = _("Enter your date of birth.")
        self.fields["national_id"].error_messages["required"] = _("Enter your national ID number.")

    def clean_date_of_birth(self) -> Any:
        value = self.cleaned_data["date_of_birth"]
        if value is not None and value >= timezone.localdate():
            raise forms.ValidationError(_("Your date of birth must be in the past."))
        return value


class PublicDetailsForm(forms.Form):
    """The practitioner's own choices about their public entry (registry.consent). The view writes the hints,
    which say what the council's rules would publish."""

    work_town = forms.CharField(
        label=_("Town or city where you work"),
        required=False,
        max_length=100,
        help_text=_("Only the town or city: never a street address or your employer's name."),
    )
    consents_to_publish_previous_names = forms.BooleanField(
        label=_("My previous names may be shown on the public register"), required=False
    )
    consents_to_publish_work_town = forms.BooleanField(
        label=_("The town or city where I work may be shown on the public register"), required=False
    )


class QualificationForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = ("qualification_type", "institution_name", "qualification_awarded_date")
        widgets = {"qualification_awarded_date": DateInput()}
        labels = {
            "qualification_type": _("Qualification"),
            "institution_name": _("Institution that awarded it"),
            "qualification_awarded_date": _("Date awarded"),
        }

    def __init__(self, *args: Any, category: RegisterCategory, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        accepted = category.accepted_qualification_types.all()
        field = self.fields["qualification_type"]
        field.queryset = accepted if accepted.exists() else QualificationType.objects.all()  # type: ignore[attr-defined]
        field.label_from_instance = _name_label  # type: ignore[attr-defined]
        for name in self.fields:
            self.fields[name].required = True
        field.error_messages["required"] = _("Select your qualification.")
        self.fields["institution_name"].error_messages["required"] = _("Enter the institution that awarded it.")
        self.fields["qualification_awarded_date"].error_messages["required"] = _("Enter the date it was awarded.")

    def clean_qualification_awarded_date(self) -> Any:
        value = self.cleaned_data["qualification_awarded_date"]
        if value is not None and value > timezone.localdate():
            raise forms.ValidationError(_("The date awarded cannot be in the future."))
        return value


class EmploymentForm(forms.ModelForm):
    employment_is_paid = forms.TypedChoiceField(
        label=_("Is this paid work?"),
        choices=(("True", _("Yes")), ("False", _("No, unpaid or voluntary"))),
        coerce=lambda value: value == "True",
        widget=forms.RadioSelect,
        required=False,
    )
    employment_sector = forms.ChoiceField(
        label=_("Sector"), choices=Sector.choices, widget=forms.RadioSelect, required=False
    )

    class Meta:
        model = Application
        fields = (
            "region",
            "employer_name",
            "job_title",
            "employment_is_paid",
            "employment_sector",
            "supervised_practice_hours",
        )
        help_texts = {
            "region": _("Where you work, or mostly work. Used for workforce statistics."),
            "employer_name": _("Leave blank if you are not working in the field now."),
            "supervised_practice_hours": _("Hours of practice under a registered supervisor."),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("employer_name") and not cleaned.get("employment_sector"):
            self.add_error("employment_sector", _("Select whether the employer is governmental or not."))
        if cleaned.get("employer_name") and cleaned.get("employment_is_paid") is None:
            self.add_error("employment_is_paid", _("Select whether this work is paid."))
        if not cleaned.get("employer_name"):
            cleaned["employment_is_paid"] = None
            cleaned["employment_sector"] = ""
            cleaned["job_title"] = ""
        return cleaned


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What is this document?"),
        choices=ApplicationDocument.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select what kind of document this is.")},
    )
    file = forms.FileField(
        label=_("Upload a file"),
        help_text=_("A PDF, JPG or PNG, smaller than 5 MB."),
        error_messages={"required": _("Select a file to upload.")},
    )


class DeclarationForm(forms.Form):
    declaration_accepted = forms.BooleanField(
        label=_(
            "I declare that the information I have given is true and complete, that I am fit to practise, "
            "and that I will keep to the council's code of ethics."
        ),
        error_messages={"required": _("You must confirm the declaration to continue.")},
    )


class ResponseForm(forms.Form):
    response = forms.CharField(
        label=_("Your answer"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        error_messages={"required": _("Enter your answer to the council's request.")},
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why are you withdrawing? (optional)"), required=False, max_length=1000)


# Staff -------------------------------------------------------------------------------------


class AssignForm(forms.Form):
    officer: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Assign to"), queryset=User.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, officers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officers  # type: ignore[attr-defined]
        self.fields["officer"].label_from_instance = lambda user: user.display_name  # type: ignore[attr-defined]


class InformationRequestForm(forms.Form):
    message = forms.CharField(
        label=_("What does the applicant need to provide?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": _("Say what information the applicant must provide.")},
    )


class RecommendationForm(forms.Form):
    recommendation = forms.ChoiceField(
        label=_("Your recommendation"),
        choices=[(Application.Recommendation.APPROVE, _("Approve")), (Application.Recommendation.REFUSE, _("Refuse"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether you recommend approval or refusal.")},
    )
    note = forms.CharField(label=_("Notes for the registrar"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("recommendation") == Application.Recommendation.REFUSE and not cleaned.get("note", "").strip():
            self.add_error("note", _("Give the reasons for recommending refusal."))
        return cleaned


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=(("APPROVE", _("Approve and enter on the register")), ("REFUSE", _("Refuse"))),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose approve or refuse."),
            "invalid_choice": _("Choose approve or refuse."),
        },
    )
    reason = forms.CharField(
        label=_("Reasons"),
        help_text=_("Required when refusing. The applicant will see them."),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "REFUSE" and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Give the reasons for refusing this application."))
        return cleaned


class StatusChangeForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[
            (value, label) for value, label in RegisterEntry.Status.choices if value in STAFF_SETTABLE_ENTRY_STATUSES
        ],
        error_messages={"invalid_choice": _("Choose one of the statuses listed.")},
    )
    conditions = forms.CharField(
        label=_("Conditions"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
        help_text=_("Only for registration with conditions. Shown on the public register."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": _("Give the reason for this change of status.")},
    )


# Public ------------------------------------------------------------------------------------


class PublicSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or registration number"), required=False, max_length=200)
    category = forms.ChoiceField(label=_("Category"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *RegisterEntry.Status.choices]
    )

    def __init__(self, *args: Any, categories: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Any category")), *[(c.code, c.name) for c in categories]]  # type: ignore[attr-defined]
