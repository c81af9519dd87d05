"""factory_boy factories shared by the suite. Workflow rows are made through the real services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Council, RuleSet, User
from core.roles import Role
from registry import services
from registry.models import Application, ApplicationDocument, QualificationType, RegisterCategory

PASSWORD = "correct-horse-battery-staple"

# Smallest valid files of each accepted type, by their magic bytes.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 64


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    name = factory.Faker("name")
    preferred_language = "en"

    @factory.post_generation
    def password(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])
            EmailAddress.objects.create(user=self, email=self.email, primary=True, verified=True)


def staff_user(role: Role, **kwargs: Any) -> User:
    """A staff member in one role, with an authenticator app set up."""
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=role.value))
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    user.totp_secret = secret  # type: ignore[attr-defined]
    return user


def council_create() -> Council:
    council, _ = Council.objects.get_or_create(
        singleton=True,
        defaults={
            "name": "Council for Social Service Professions",
            "short_name": "CSSP",
            "currency": "ZAR",
            "time_zone": "Africa/Johannesburg",
            "languages": ["en", "es", "fr"],
        },
    )
    RuleSet.objects.get_or_create(version=1, defaults={"effective_date": dt.date(2026, 1, 1), "rules": {}})
    return council


def categories_create() -> dict[str, RegisterCategory]:
    bsw, _ = QualificationType.objects.get_or_create(code="bsw", defaults={"name": "Bachelor of Social Work"})
    aux, _ = QualificationType.objects.get_or_create(
        code="aux-cert", defaults={"name": "Further Education and Training Certificate: Social Auxiliary Work"}
    )
    social_worker, _ = RegisterCategory.objects.get_or_create(
        code="social-worker",
        defaults={"name": "Social worker", "registration_number_prefix": "SW", "display_order": 1},
    )
    social_worker.accepted_qualification_types.add(bsw)
    auxiliary, _ = RegisterCategory.objects.get_or_create(
        code="social-auxiliary-worker",
        defaults={
            "name": "Social auxiliary worker",
            "registration_number_prefix": "SAW",
            "display_order": 2,
            "supervised_practice_hours_required": 200,
        },
    )
    auxiliary.accepted_qualification_types.add(aux)
    return {"social-worker": social_worker, "social-auxiliary-worker": auxiliary}


def pdf_upload(name: str = "degree.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def draft_application(*, applicant: User, category: RegisterCategory, **answers: Any) -> Application:
    """A complete draft, built through the services as an applicant would."""
    application = services.application_start(actor=applicant, category=category)
    qualification_type = category.accepted_qualification_types.first()
    data: dict[str, Any] = {
        "given_names": "José",
        "family_name": "Núñez",
        "date_of_birth": dt.date(1990, 5, 17),
        "national_id": "9005175800086",
        "qualification_type": qualification_type,
        "institution_name": "University of the Western Cape",
        "qualification_awarded_date": dt.date(2014, 12, 10),
        "supervised_practice_hours": category.supervised_practice_hours_required,
        "declaration_accepted": True,
    }
    data.update(answers)
    services.application_save_draft(actor=applicant, application=application, data=data)
    for kind in (ApplicationDocument.Kind.IDENTITY, ApplicationDocument.Kind.DEGREE):
        services.application_document_add(actor=applicant, application=application, kind=kind, uploaded=pdf_upload())
    return application


def application_in_review(
    *, applicant: User, category: RegisterCategory, registrar: User, **answers: Any
) -> Application:
    application = draft_application(applicant=applicant, category=category, **answers)
    services.application_submit(actor=applicant, application=application)
    services.application_assign(actor=registrar, application=application, officer=registrar)
    return Application.objects.get(pk=application.pk)
