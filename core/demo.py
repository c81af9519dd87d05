"""The demo council for `make demo`: configuration, staff log-ins and a few hundred practitioners.

Everything on the register is made through the real services, exactly as an applicant and the
council's staff would make it: start, draft, upload, submit, assign, recommend, decide, and then a
status change with its reason. Every row therefore has its audit events and history rows.

The seed runs in one transaction, so it either fills the database or leaves it untouched. It is
reproducible (one seeded random generator) and idempotent: when the demo council already exists it
changes nothing and reports the log-ins again.

The notifications the seed causes are written to the outbox as usual, but they are addressed to
fictitious people, so while seeding they go to Django's dummy mail backend instead of flooding the
console with a thousand e-mails.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.test.utils import override_settings
from django.utils import timezone

from core.audit import audit_record
from core.exceptions import ApplicationError
from core.models import Council, Region, RuleSet, User
from core.roles import STAFF_ROLES, Role
from core.selectors import council_today
from core.services import configuration_save
from cpd import services as cpd
from cpd.models import ActivityType
from discipline import services as conduct
from exams import services as exams
from exams.models import Exam, ExamVersion
from licensing import rules as licensing_rules
from licensing import services as licensing
from licensing.models import Invoice, RenewalPeriod
from portal import alerts as portal_alerts
from portal import services as employers
from registry import services as registry
from registry.models import (
    Application,
    ApplicationDocument,
    Institution,
    Practitioner,
    Programme,
    QualificationType,
    RegisterCategory,
    RegisterEntry,
    Sector,
)
from retention import services as retention_services
from workforce import services as workforce_services

DEMO_EMAIL_DOMAIN = "demo.council.example"
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed on purpose: these are demo log-ins
DEMO_COUNCIL_NAME = "Council for Social Service Professions (demo)"
DEMO_URL = "http://127.0.0.1:8000"
DEFAULT_PRACTITIONER_COUNT = 320
MINIMUM_PRACTITIONER_COUNT = 12
RANDOM_SEED = 2026
SEED_REASON = "demo seed"

SW, SAW, CYCW = "social-worker", "social-auxiliary-worker", "child-and-youth-care-worker"
EntryStatus = RegisterEntry.Status


class DemoRefusedError(ApplicationError):
    """The demo tools refuse to touch this database or account."""


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    totp_secret: str | None = None


@dataclass(frozen=True)
class DemoSeedResult:
    created: bool
    logins: list[DemoLogin]
    entry_counts: dict[str, int] = field(default_factory=dict)
    application_counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TotpCode:
    code: str
    seconds_remaining: int


# Who can sign in to the demo, in the order the log-in block lists them.
_ACCOUNTS: tuple[tuple[str, str, str, Role | None, str], ...] = (
    ("registrar", "Registrar (approves applications)", "Nomvula Khumalo", Role.REGISTRAR, "en"),
    ("registration-officer", "Registration officer", "Sipho Ndlovu", Role.REGISTRATION_OFFICER, "en"),
    ("finance-officer", "Finance officer", "Aisha Patel", Role.FINANCE_OFFICER, "en"),
    (
        "finance-manager",
        "Finance officer who approves the other's refunds and write-offs",
        "Thabo Mokoena",
        Role.FINANCE_OFFICER,
        "en",
    ),
    ("exams-officer", "Exams officer", "Johan Pretorius", Role.EXAMS_OFFICER, "en"),
    ("cpd-officer", "CPD officer", "Lindiwe Mahlangu", Role.CPD_OFFICER, "en"),
    ("conduct-officer", "Conduct officer", "Carlos Andrés Rodríguez", Role.CONDUCT_OFFICER, "es"),
    ("hearing-panel", "Hearing panel member", "Naledi Mthembu", Role.HEARING_PANEL, "en"),
    (
        "hearing-panel-chair",
        "Hearing panel chair (a panel needs two)",
        "Pieter van der Merwe",
        Role.HEARING_PANEL,
        "en",
    ),
    ("council-admin", "Council administrator (also the Django admin)", "Élodie Marchand", Role.COUNCIL_ADMIN, "fr"),
    ("employer", "Employer user", "Kagiso Molefe", Role.EMPLOYER_USER, "en"),
    ("cpd-provider", "CPD provider user", "Ayanda Zulu", Role.CPD_PROVIDER_USER, "en"),
    ("applicant", "Applicant (has a request for information to answer)", "Hélène Gaëlle Dubois", None, "fr"),
    ("practitioner", "Practitioner (registered social worker)", "José Núñez", None, "es"),
)


def demo_email(local_part: str) -> str:
    return f"{local_part}@{DEMO_EMAIL_DOMAIN}"


def is_demo_email(email: str) -> bool:
    return email.strip().lower().endswith("@" + DEMO_EMAIL_DOMAIN)


# Entry points ---------------------------------------------------------------------------------


def demo_seed(*, practitioner_count: int = DEFAULT_PRACTITIONER_COUNT, seed: int = RANDOM_SEED) -> DemoSeedResult:
    """Fill an empty database with the demo council, or report the log-ins of the one already there."""
    if not settings.DEBUG:
        raise DemoRefusedError("The demo is seeded only when DEBUG is on: its log-ins have a published password.")
    if practitioner_count < MINIMUM_PRACTITIONER_COUNT:
        raise ValueError(f"practitioner_count must be at least {MINIMUM_PRACTITIONER_COUNT}.")
    council = Council.objects.first()
    if council is not None:
        if council.name != DEMO_COUNCIL_NAME:
            raise DemoRefusedError(
                f"This database already belongs to {council.name}; the demo fills only an empty one."
            )
        return DemoSeedResult(created=False, logins=demo_logins(), **_counts())
    if RegisterCategory.objects.exists() or Application.objects.exists():
        raise DemoRefusedError("This database already holds register data; the demo fills only an empty one.")
    # Notifications to fictitious people are delivered nowhere (the rows still go through the outbox),
    # and the eager task runner's thousand "task succeeded" lines are kept off the console.
    dummy_mail = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    with (
        override_settings(MAILERS=dummy_mail),
        _logger_level("celery.app.trace", logging.WARNING),
        transaction.atomic(),
    ):
        _Seeder(rng=rng, practitioner_count=practitioner_count).run()
    return DemoSeedResult(created=True, logins=demo_logins(), **_counts())


def demo_logins() -> list[DemoLogin]:
    """The demo's log-ins, with each staff member's authenticator secret."""
    emails = [demo_email(local) for local, *_rest in _ACCOUNTS]
    users = {user.email: user for user in User.objects.filter(email__in=emails)}
    secrets = {
        authenticator.user_id: decrypt(authenticator.data["secret"])
        for authenticator in Authenticator.objects.filter(user__in=users.values(), type=Authenticator.Type.TOTP)
    }
    logins = []
    for local, label, *_details in _ACCOUNTS:
        user = users.get(demo_email(local))
        if user is not None:
            logins.append(DemoLogin(role=label, email=user.email, totp_secret=secrets.get(user.pk)))
    return logins


def demo_totp_code(*, email: str) -> TotpCode:
    """The current authenticator code of a demo staff account. Refused outside the demo."""
    if not settings.DEBUG:
        raise DemoRefusedError("Authenticator codes are only given out when DEBUG is on (the local demo).")
    if not is_demo_email(email):
        raise DemoRefusedError(f"Only demo accounts (…@{DEMO_EMAIL_DOMAIN}) can be given an authenticator code.")
    authenticator = Authenticator.objects.filter(
        user__email__iexact=email.strip(), type=Authenticator.Type.TOTP
    ).first()
    if authenticator is None:
        raise DemoRefusedError(f"{email} has no authenticator. Run `manage.py seed_demo` first, or check the address.")
    secret = decrypt(authenticator.data["secret"])
    now = int(time.time())
    period = int(mfa_settings.TOTP_PERIOD)
    return TotpCode(code=format_hotp_value(hotp_value(secret, now // period)), seconds_remaining=period - now % period)


@contextlib.contextmanager
def _logger_level(name: str, level: int) -> Iterator[None]:
    logger = logging.getLogger(name)
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _counts() -> dict[str, dict[str, int]]:
    def by_status(model: type[models.Model]) -> dict[str, int]:
        rows = model._default_manager.order_by().values_list("status").annotate(n=models.Count("pk"))
        return dict(sorted(rows))

    return {"entry_counts": by_status(RegisterEntry), "application_counts": by_status(Application)}


# Configuration --------------------------------------------------------------------------------

_QUALIFICATION_TYPES = {
    "bsw": "Bachelor of Social Work",
    "trabajo-social": "Profesional en Trabajo Social (Colombia)",
    "deass": "Diplôme d'État d'assistant de service social (France)",
    "fetc-saw": "Further Education and Training Certificate: Social Auxiliary Work",
    "fetc-cycw": "Further Education and Training Certificate: Child and Youth Care Work",
    "bachelor-cyc": "Bachelor of Child and Youth Care",
    "diploma-community-development": "Diploma in Community Development",
}

_QUALIFICATION_LEVELS = {
    "bsw": QualificationType.Level.BACHELOR,
    "trabajo-social": QualificationType.Level.BACHELOR,
    "deass": QualificationType.Level.BACHELOR,
    "fetc-saw": QualificationType.Level.CERTIFICATE,
    "fetc-cycw": QualificationType.Level.CERTIFICATE,
    "bachelor-cyc": QualificationType.Level.BACHELOR,
    "diploma-community-development": QualificationType.Level.DIPLOMA,
}
# Provinces with their children (under 18), rounded from Statistics South Africa's mid-year estimates,
# and how many of the demo's people work in each (weights).
_REGIONS = (
    ("gauteng", "Gauteng", 4_900_000, 30),
    ("western-cape", "Western Cape", 1_900_000, 14),
    ("kwazulu-natal", "KwaZulu-Natal", 4_300_000, 20),
    ("eastern-cape", "Eastern Cape", 2_600_000, 12),
    ("limpopo", "Limpopo", 2_400_000, 9),
    ("free-state", "Free State", 1_000_000, 6),
    ("mpumalanga", "Mpumalanga", 1_700_000, 5),
    ("north-west", "North West", 1_400_000, 3),
    ("northern-cape", "Northern Cape", 420_000, 1),
)
_SEX_WEIGHTS = (("FEMALE", 76), ("MALE", 22), ("OTHER", 1), ("", 1))

_CATEGORIES: tuple[dict[str, Any], ...] = (
    {
        "code": SW,
        "name": "Social worker",
        "description": "A professional with a four-year degree in social work.",
        "registration_number_prefix": "SW",
        "display_order": 1,
        "accepted": ("bsw", "trabajo-social", "deass"),
    },
    {
        "code": SAW,
        "name": "Social auxiliary worker",
        "description": "A para-professional who works under the supervision of a social worker.",
        "registration_number_prefix": "SAW",
        "supervised_practice_hours_required": 200,
        "display_order": 2,
        "accepted": ("fetc-saw",),
    },
    {
        "code": CYCW,
        "name": "Child and youth care worker",
        "description": "Works with children and young people in their daily living spaces.",
        "registration_number_prefix": "CYCW",
        # The council introduces the national exam this year: switched on after the register is seeded (_exams).
        "requires_exam": False,
        "display_order": 3,
        "accepted": ("fetc-cycw", "bachelor-cyc"),
    },
)

_DEASS = "Diplôme d'État d'assistant de service social"
# (institution, country, programme, qualification type)
_PROGRAMMES = (
    ("University of the Western Cape", "ZA", "Bachelor of Social Work", "bsw"),
    ("University of Johannesburg", "ZA", "Bachelor of Social Work", "bsw"),
    ("University of KwaZulu-Natal", "ZA", "Bachelor of Social Work", "bsw"),
    ("University of Limpopo", "ZA", "Bachelor of Social Work", "bsw"),
    ("Stellenbosch University", "ZA", "Bachelor of Social Work", "bsw"),
    ("Universidad Nacional de Colombia", "CO", "Trabajo Social", "trabajo-social"),
    ("Universidad de Antioquia", "CO", "Trabajo Social", "trabajo-social"),
    ("Institut Régional du Travail Social Paris Île-de-France", "FR", _DEASS, "deass"),
    ("Université de Lorraine", "FR", _DEASS, "deass"),
    ("Ekurhuleni East TVET College", "ZA", "FETC: Social Auxiliary Work", "fetc-saw"),
    ("False Bay TVET College", "ZA", "FETC: Social Auxiliary Work", "fetc-saw"),
    ("National Association of Child Care Workers", "ZA", "FETC: Child and Youth Care Work", "fetc-cycw"),
    ("Durban University of Technology", "ZA", "Bachelor of Child and Youth Care", "bachelor-cyc"),
    ("University of South Africa", "ZA", "Diploma in Community Development", "diploma-community-development"),
)

_FEES = {  # minor units (cents), per category and fee type
    SW: {"application": 18500, "registration": 59500, "annual": 52000, "certificate": 15000},
    SAW: {"application": 12000, "registration": 30500, "annual": 26000, "certificate": 15000},
    CYCW: {"application": 12000, "registration": 30500, "annual": 26000, "certificate": 15000, "exam": 42500},
}

RULES: dict[str, Any] = {
    "currency": "ZAR",
    "categories": {
        SW: {"routes": ["accredited-local-qualification", "foreign-qualification-evaluated-by-saqa"]},
        SAW: {"routes": ["accredited-local-qualification"], "supervised_practice_hours": 200},
        CYCW: {"routes": ["accredited-local-qualification"], "exam_required": True},
    },
    "fees": {category: {**amounts, "late_penalty": 46500, "restoration": 76200} for category, amounts in _FEES.items()},
    "renewal": {
        "cycle": "annual",
        "annual_fee_due": {"month": 1, "day": 1},
        "late_penalty_after": {"month": 3, "day": 31},
        "grace_period_ends": {"month": 6, "day": 30},
        "lapse_on": {"month": 7, "day": 1},
        "reminder_days_before_due": [60, 30, 7],
        "at_risk_reminder_days_before_lapse": [30, 14, 3],
    },
    # Attempts at a national exam, and the wait between them (exams.rules).
    "exams": {"attempt_limit": 3, "retake_wait_days": 90},
    # What a lapsed registrant pays to be restored, besides the restoration fee (licensing.rules).
    "restoration": {"arrears": "unpaid_renewals", "include_current_year_fee": True},
    "exemptions": [
        {"code": "age-65-plus", "fee_types": ["annual"], "minimum_age": 65, "discount_percent": 100},
        {"code": "non-practising", "fee_types": ["annual"], "discount_percent": 50},
    ],
    "cpd": {
        "cycle": "annual",
        "points_per_cycle": {SW: 20, SAW: 10, CYCW: 10},
        "required_subtypes": {"ethics": {SW: 3, SAW: 2, CYCW: 2}},
        "caps": {"self_directed_learning": 5, "per_activity": 10},
        "carry_forward_max_points": 5,
    },
    "cpd_audit": {"sample_rate_percent": 5, "evidence_due_days": 30, "seed_published": True},
    "registration_numbers": {
        SW: {"prefix": "SW", "digits": 6, "check_digit": "damm"},
        SAW: {"prefix": "SAW", "digits": 6, "check_digit": "damm"},
        CYCW: {"prefix": "CYCW", "digits": 6, "check_digit": "damm"},
    },
    "public_register": {
        "shows_previous_names": False,
        "shows_conditions": True,
        "statuses_published": [status.value for status in EntryStatus],
        "verification_rate_limit_per_minute": 30,
    },
    # Conduct: deadlines, appeals and how long each sanction stays on the public register (discipline/rules.py).
    "discipline": {
        "triage_days": 14,
        "stage_days": {"INVESTIGATION": 120, "CHARGED": 90, "APPEAL": 90},
        "interim_review_days": 90,
        "appeal_days": 28,
        "stayable_on_appeal": ["CAUTION", "FINE", "CONDITIONS", "SUSPENSION"],
        "publication": {
            "CAUTION": {"days": 365},
            "FINE": {"days": 730},
            "CONDITIONS": {"days_after_end": 0},
            "SUSPENSION": {"days_after_end": 90},
            "REMOVAL": {"days": None},
        },
        "removal_reapply_years": 5,
        "registrars_see_case_documents": False,
    },
}


# Names, places and employers ------------------------------------------------------------------

_NAMES = {
    "za": (
        "Thandiwe Lerato Sipho Nomvula Bongani Zanele Mpho Kagiso Ayanda Lindiwe Themba Nokuthula Palesa Thabo "
        "Busisiwe Andile Naledi Lwazi Refilwe Tshepo Zodwa Khanyisile Sibusiso Nandi Dumisani Fikile Pieter Johan "
        "Annelie Marelize Charné Riaan Elmarie Hendrik Sarah Michelle David Fatima Yusuf Priya Kavitha Rajesh "
        "Nadia Shireen Chantelle Thulani Xolani Unathi Siyabonga Mbali Onthatile Kamohelo Tumelo Dineo Katlego",
        "Nkosi|Mokoena|Dlamini|Ndlovu|Khumalo|Mahlangu|Zulu|Mthembu|Sithole|Molefe|Mabaso|Ngcobo|Mkhize|Naidoo|"
        "Pillay|Govender|Moodley|van der Merwe|Botha|Pretorius|du Plessis|Venter|Coetzee|Smit|Nel|Williams|Jacobs|"
        "Adams|Petersen|Hendricks|Maluleke|Baloyi|Mathebula|Shabalala|Masilela|Radebe|Mofokeng|Modise|Letsoalo",
    ),
    "es": (
        "José|María José|Andrés Felipe|Camila|Valentina|Sebastián|Juan Pablo|Ana Sofía|Luis Ángel|Mónica|Julián|"
        "Daniela|Nicolás|Paula Andrea|Alejandro|Lucía|Inés|Tomás|Ramón|Martín|Verónica|Raúl|Iñaki|Begoña|Simón",
        "Núñez|Gutiérrez|Rodríguez|Martínez|Gómez|Hernández|López|Pérez|Ramírez|Sánchez|Díaz|Muñoz|Jiménez|"
        "Vásquez|Peña|Ibáñez|Ordóñez|Castañeda|Londoño|Quiñones|Suárez|Álvarez|Cárdenas|Montaño",
    ),
    "fr": (
        "Françoise Hélène Zoë Chloé Léa Mathéo Noël Jérôme Amélie Loïc Gaëlle Benoît Céline Anaïs Raphaël Élodie "
        "Thérèse Stéphane Aurélien Maëlle Clément Joël Inès Cécile Aïssatou Moussa",
        "Lefèvre|Dubois|Moreau|Girard|Mercier|Bélanger|Lévesque|Côté|Gagné|Fournier|Lemaître|Chevalier|Pelletier|"
        "Hébert|Boucher|Ndiaye|Diop|Traoré|Kaboré|Mensah",
    ),
}
_CULTURE_WEIGHTS = (("za", 65), ("es", 18), ("fr", 17))
_LANGUAGE_OF = {"za": "en", "es": "es", "fr": "fr"}
_CATEGORY_WEIGHTS = ((SW, 60), (SAW, 25), (CYCW, 15))

# People whose names visitors can look for: (given names, family name, culture, category).
_NAMED_PEOPLE = (
    ("José", "Núñez", "es", SW),
    ("María José", "Gutiérrez", "es", SW),
    ("Françoise", "Lefèvre", "fr", SW),
    ("Zoë", "Brontë", "fr", CYCW),
    ("Thandiwe", "Nkosi", "za", SAW),
    ("Pieter", "van der Merwe", "za", SW),
    ("Lerato", "Mokoena", "za", CYCW),
    ("Iñaki", "Ibáñez Ordóñez", "es", SW),
)

_CITIES = (
    ("Johannesburg", "2001"),
    ("Cape Town", "8001"),
    ("Durban", "4001"),
    ("Pretoria", "0002"),
    ("Gqeberha", "6001"),
    ("Polokwane", "0700"),
    ("Mthatha", "5099"),
    ("Bloemfontein", "9301"),
)
_STREETS = ("Church Street", "Main Road", "Nelson Mandela Drive", "Voortrekker Road", "Beach Road", "Oak Avenue")

_EMPLOYERS = (
    ("Gauteng Department of Social Development", Sector.GOVERNMENTAL),
    ("Western Cape Department of Social Development", Sector.GOVERNMENTAL),
    ("KwaZulu-Natal Department of Social Development", Sector.GOVERNMENTAL),
    ("Department of Correctional Services", Sector.GOVERNMENTAL),
    ("Chris Hani Baragwanath Academic Hospital", Sector.GOVERNMENTAL),
    ("Childline South Africa", Sector.NON_GOVERNMENTAL),
    ("SOS Children's Villages South Africa", Sector.NON_GOVERNMENTAL),
    ("Cape Town Child Welfare Society", Sector.NON_GOVERNMENTAL),
    ("NICRO", Sector.NON_GOVERNMENTAL),
    ("FAMSA Gauteng", Sector.NON_GOVERNMENTAL),
    ("Isibindi Project, Mthatha", Sector.NON_GOVERNMENTAL),
)
_JOB_TITLES = {
    SW: ("Social worker", "Senior social worker", "Child protection social worker", "Probation officer"),
    SAW: ("Social auxiliary worker", "Community outreach worker"),
    CYCW: ("Child and youth care worker", "Isibindi child and youth care worker", "Residential care worker"),
}

# Status changes after registration: (status, share of the register, system actor?, reasons, conditions).
_STATUS_STORIES: tuple[tuple[str, float, bool, tuple[str, ...], str], ...] = (
    (
        EntryStatus.REGISTERED_WITH_CONDITIONS,
        0.03,
        False,
        (
            "Professional Board finding on record keeping: practise under supervision for 12 months.",
            "Returned to practice after five years away: supervised practice condition for 12 months.",
        ),
        "Practise only under the supervision of a registered social worker with at least five years' "
        "experience, and send the Registrar a supervision report every three months for 12 months.",
    ),
    (
        EntryStatus.SUSPENDED,
        0.02,
        False,
        (
            "Interim suspension ordered pending the disciplinary inquiry into complaint DC-2026-014.",
            "Suspended for six months by the Professional Board after a finding of unprofessional conduct.",
        ),
        "",
    ),
    (
        EntryStatus.LAPSED,
        0.04,
        True,
        ("Annual fee for 2026 not paid by the end of the grace period (30 June 2026).",),
        "",
    ),
    (
        EntryStatus.VOLUNTARILY_REMOVED,
        0.02,
        False,
        (
            "Asked to be removed from the register on retiring from practice.",
            "Asked to be removed from the register after emigrating.",
        ),
        "",
    ),
    (
        EntryStatus.DECEASED,
        0.01,
        False,
        ("Death reported by a family member; death certificate received and checked.",),
        "",
    ),
    (
        EntryStatus.REMOVED,
        0.006,
        True,
        ("Sanction of removal from the register imposed by the Professional Board (case DC-2025-031) takes effect.",),
        "",
    ),
)


def _pdf(title: str) -> bytes:
    """A small, valid one-page PDF with a line of text, standing in for scanned evidence."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at)
    return bytes(out)


_DOCUMENTS: dict[str, bytes] = {
    ApplicationDocument.Kind.IDENTITY: _pdf("Identity document - demo copy"),
    ApplicationDocument.Kind.DEGREE: _pdf("Qualification certificate - demo copy"),
    ApplicationDocument.Kind.TRANSCRIPT: _pdf("Academic transcript - demo copy"),
    ApplicationDocument.Kind.OTHER: _pdf("Supporting document - demo copy"),
}


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char if char.isalnum() else "." for char in folded.lower()).strip(".")


def _luhn_digit(digits: str) -> int:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


@dataclass
class _Person:
    given_names: str
    family_name: str
    culture: str
    category: str
    email: str = ""
    answers: dict[str, Any] = field(default_factory=dict)


# The seeder -----------------------------------------------------------------------------------


class _Seeder:
    def __init__(self, *, rng: random.Random, practitioner_count: int) -> None:
        self.rng = rng
        # Sex and region of work come from their own sequence, seeded from rng without drawing from it, so
        # adding them left the rest of the demo as it was.
        self.workforce_rng = random.Random(repr(rng.getstate()[1][:8]))  # noqa: S311 - demo data
        self.practitioner_count = practitioner_count
        self.password_hash = make_password(DEMO_PASSWORD)
        self.used_emails: set[str] = set()
        self.used_names: set[tuple[str, str]] = set()
        self.accounts: dict[str, User] = {}
        self.categories: dict[str, RegisterCategory] = {}
        self.qualification_types: dict[str, QualificationType] = {}
        self.institutions_by_type: dict[str, list[str]] = {}
        self.regions: dict[str, Region] = {}

    def run(self) -> None:
        self._configuration()
        self._accounts()
        self._register()
        self._employers()
        self._open_applications()
        self._renewals()
        self._cpd()
        self._exams()
        self._conduct()
        self._child_populations()
        portal_alerts.alerts_collect()

    # Configuration rows, each with its configuration.created audit event.

    def _configure(self, instance: models.Model) -> Any:
        return configuration_save(actor=None, instance=instance, changed_fields=[], reason=SEED_REASON)

    def _configuration(self) -> None:
        self._configure(
            Council(
                name=DEMO_COUNCIL_NAME,
                short_name="CSSP demo",
                currency="ZAR",
                time_zone="Africa/Johannesburg",
                languages=["en", "es", "fr"],
                contact_email=demo_email("registry"),
            )
        )
        self._configure(
            RuleSet(
                version=1,
                effective_date=dt.date(2026, 1, 1),
                rules=RULES,
                notes="Demo values modelled on a South African council; not any council's real fees.",
            )
        )
        for code, name in _QUALIFICATION_TYPES.items():
            self.qualification_types[code] = self._configure(
                QualificationType(code=code, name=name, level=_QUALIFICATION_LEVELS[code])
            )
        for code, name, _children, _weight in _REGIONS:
            self.regions[code] = self._configure(Region(code=code, name=name))
        for spec in _CATEGORIES:
            fields = {key: value for key, value in spec.items() if key != "accepted"}
            category = self._configure(RegisterCategory(**fields))
            accepted = [self.qualification_types[code] for code in spec["accepted"]]
            category.accepted_qualification_types.add(*accepted)
            audit_record(
                actor=None,
                action="configuration.changed",
                obj=category,
                reason=SEED_REASON,
                before={"accepted_qualification_types": []},
                after={"accepted_qualification_types": list(spec["accepted"])},
            )
            self.categories[category.code] = category
        institutions: dict[tuple[str, str], Institution] = {}
        for institution_name, country, programme_name, type_code in _PROGRAMMES:
            if (institution_name, country) not in institutions:
                institutions[institution_name, country] = self._configure(
                    Institution(name=institution_name, country=country)
                )
            self._configure(
                Programme(
                    institution=institutions[institution_name, country],
                    name=programme_name,
                    qualification_type=self.qualification_types[type_code],
                    is_accredited=True,
                    accredited_from_date=dt.date(2015, 1, 1),
                )
            )
            self.institutions_by_type.setdefault(type_code, []).append(institution_name)
        # Every record type's retention rule, with its default period (the admin changes them).
        retention_services.retention_rules_ensure(actor=None, reason=SEED_REASON)

    # Accounts.

    def _user(self, *, email: str, name: str, language: str, can_sign_in: bool) -> User:
        user = User(email=email, name=name, preferred_language=language)
        if can_sign_in:
            user.password = self.password_hash
        else:
            user.set_unusable_password()
        user.save(force_insert=True)
        if can_sign_in:
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
        self.used_emails.add(email)
        return user

    def _accounts(self) -> None:
        for local, _label, name, role, language in _ACCOUNTS:
            user = self._user(email=demo_email(local), name=name, language=language, can_sign_in=True)
            if role is not None:
                user.groups.add(Group.objects.get(name=role.value))
            if role == Role.COUNCIL_ADMIN:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
            if role in STAFF_ROLES:
                TOTP.activate(user, generate_totp_secret())
            self.accounts[local] = user

    @property
    def registrar(self) -> User:
        return self.accounts["registrar"]

    @property
    def officer(self) -> User:
        return self.accounts["registration-officer"]

    def _child_populations(self) -> None:
        """Three years of children per province, imported as staff would, from the statistics office's CSV."""
        lines = ["region,year,children,source"]
        year = council_today().year
        lines.extend(
            f"{code},{year - offset},{round(children * (1 - 0.01 * offset))},Mid-year estimates"
            for code, _name, children, _weight in _REGIONS
            for offset in (2, 1, 0)
        )
        workforce_services.child_population_import(
            actor=self.accounts["registrar"], data="\n".join(lines).encode(), reason=SEED_REASON
        )

    # People.

    def _person(self, *, category: str | None = None, culture: str | None = None) -> _Person:
        rng = self.rng
        culture = culture or _weighted(rng, _CULTURE_WEIGHTS)
        givens, families = (_split(pool) for pool in _NAMES[culture])
        while True:
            given = rng.choice(givens)
            family = rng.choice(families)
            if culture == "es" and rng.random() < 0.4:  # many Colombians use both surnames
                family = f"{family} {rng.choice(families)}"
            if (given, family) not in self.used_names:
                break
        self.used_names.add((given, family))
        return _Person(given, family, culture, category or _weighted(rng, _CATEGORY_WEIGHTS))

    def _email_for(self, person: _Person) -> str:
        base = f"{_ascii(person.given_names)}.{_ascii(person.family_name)}"
        email, suffix = demo_email(base), 1
        while email in self.used_emails:
            suffix += 1
            email = demo_email(f"{base}.{suffix}")
        return email

    def _answers(self, person: _Person, *, qualification_code: str | None = None) -> dict[str, Any]:
        rng = self.rng
        category = self.categories[person.category]
        born = dt.date(1958, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 44))
        if qualification_code is None:
            accepted = [
                code
                for code in _CATEGORIES_ACCEPTED[person.category]
                if _CULTURE_OF_TYPE.get(code) in (None, person.culture)
            ]
            qualification_code = rng.choice(accepted or list(_CATEGORIES_ACCEPTED[person.category]))
        awarded = min(dt.date(born.year + rng.randint(21, 27), 12, rng.randint(1, 15)), dt.date(2025, 12, 10))
        employer, sector = rng.choice(_EMPLOYERS)
        city, postcode = rng.choice(_CITIES)
        hours_required = category.supervised_practice_hours_required
        return {
            "given_names": person.given_names,
            "family_name": person.family_name,
            "date_of_birth": born,
            "sex": _weighted(self.workforce_rng, _SEX_WEIGHTS),
            "region": self.regions[
                _weighted(self.workforce_rng, tuple((code, weight) for code, _n, _c, weight in _REGIONS))
            ],
            "national_id": self._national_id(person.culture, born),
            "phone": self._phone(person.culture),
            "address": f"{rng.randint(1, 240)} {rng.choice(_STREETS)}\n{city}\n{postcode}",
            "qualification_type": self.qualification_types[qualification_code],
            "institution_name": rng.choice(self.institutions_by_type[qualification_code]),
            "qualification_awarded_date": awarded,
            "employer_name": employer,
            "job_title": rng.choice(_JOB_TITLES[person.category]),
            "employment_is_paid": rng.random() > 0.05,  # a few volunteers
            "employment_sector": sector,
            "supervised_practice_hours": hours_required + rng.randint(0, 280) if hours_required else 0,
            "declaration_accepted": True,
        }

    def _national_id(self, culture: str, born: dt.date) -> str:
        rng = self.rng
        if culture == "za":  # South African ID: YYMMDD SSSS C A Z, with a Luhn check digit
            body = f"{born:%y%m%d}{rng.randint(0, 9999):04d}08"
            return body + str(_luhn_digit(body))
        if culture == "es":  # Colombian cédula de ciudadanía
            return str(rng.randint(1_000_000_000, 1_099_999_999))
        return f"{rng.randint(10, 24)}{rng.choice('ABCDEFGHJK')}{rng.choice('LMNPRSTUV')}{rng.randint(10000, 99999)}"

    def _phone(self, culture: str) -> str:
        rng = self.rng
        if culture == "es":
            return f"+57 3{rng.randint(0, 2)}{rng.randint(0, 9)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
        if culture == "fr":
            return f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        return f"+27 {rng.choice(('72', '73', '82', '83', '84'))} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"

    # Through the services.

    def _draft(self, person: _Person, *, user: User | None = None, kinds: tuple[str, ...] | None = None) -> Application:
        if user is None:
            person.email = person.email or self._email_for(person)
            user = self._user(
                email=person.email,
                name=f"{person.given_names} {person.family_name}",
                language=_LANGUAGE_OF[person.culture],
                can_sign_in=False,
            )
        application = registry.application_start(actor=user, category=self.categories[person.category])
        answers = person.answers or self._answers(person)
        registry.application_save_draft(actor=user, application=application, data=answers)
        for kind in kinds if kinds is not None else registry.REQUIRED_DOCUMENT_KINDS:
            self._upload(user, application, kind)
        return application

    def _upload(self, user: User, application: Application, kind: str) -> None:
        uploaded = SimpleUploadedFile(f"{kind.lower()}.pdf", _DOCUMENTS[kind], content_type="application/pdf")
        registry.application_document_add(actor=user, application=application, kind=kind, uploaded=uploaded)

    def _in_review(self, application: Application, *, recommend: bool = False) -> None:
        registry.application_submit(actor=application.applicant, application=application)
        registry.application_assign(actor=self.registrar, application=application, officer=self.officer)
        if recommend:
            registry.application_recommend(
                actor=self.officer,
                application=application,
                recommendation=Application.Recommendation.APPROVE,
                note="Identity and qualification checked against the documents; requirements met.",
            )

    def _register(self) -> None:
        people = [_Person(given, family, culture, category) for given, family, culture, category in _NAMED_PEOPLE]
        for person in people:
            self.used_names.add((person.given_names, person.family_name))
        while len(people) < self.practitioner_count:
            people.append(self._person())
        entries: list[RegisterEntry] = []
        for index, person in enumerate(people):
            user = self.accounts["practitioner"] if index == 0 else None
            application = self._draft(person, user=user)
            self._in_review(application, recommend=index % 3 == 0)
            registry.application_decide(
                actor=self.registrar, application=application, approve=True, reason="Meets the category's requirements."
            )
            entries.append(RegisterEntry.objects.get(application=application))
        # Everyone but José Núñez (whom visitors search for) may have a later change of status.
        candidates = entries[1:]
        self.rng.shuffle(candidates)
        for status, share, by_system, reasons, conditions in _STATUS_STORIES:
            for _ in range(max(1, round(share * len(entries)))):
                entry = candidates.pop()
                registry.register_entry_change_status(
                    actor=None if by_system else self.registrar,
                    entry=entry,
                    status=status,
                    reason=self.rng.choice(reasons),
                    conditions=conditions,
                )

    def _renewals(self) -> None:
        """The renewal season as a council sees it: invoices out, a share paid by bank transfer (at risk until
        they declare), and the demo practitioner with all three steps still to do."""
        today = council_today()
        year = _renewal_year(today)
        period = RenewalPeriod.objects.filter(year=year).first() or licensing.renewal_period_open(actor=None, year=year)
        licensing.renewal_invoices_issue(period=period, on_date=max(today, period.opens_date))
        finance = self.accounts["finance-officer"]
        practitioner_user = self.accounts["practitioner"]
        invoices = (
            Invoice.objects.filter(period=period, purpose=Invoice.Purpose.RENEWAL, status=Invoice.Status.ISSUED)
            .exclude(practitioner__user=practitioner_user)
            .order_by("pk")
        )
        for index, invoice in enumerate(invoices):
            if index % 5 in (0, 2):
                licensing.payment_record(
                    actor=finance,
                    invoice=invoice,
                    method=self.rng.choice(["BANK_TRANSFER", "CASH", "MOBILE_MONEY"]),
                    reference=f"DEMO-{invoice.number}",
                    amount_minor=invoice.total_minor,
                    currency=invoice.currency,
                    received_date=min(today, period.due_date),
                )

    def _cpd(self) -> None:
        """A CPD season: activity types, an accredited provider whose three workshops credited most registrants
        through attendance lists, another provider waiting for accreditation, and José Núñez half-way (at risk),
        all in the cycle the coming renewal checks."""
        for code, name, reflection in (
            ("course", "Course or workshop", False),
            ("conference", "Conference", False),
            ("supervision", "Supervision", False),
            ("reading", "Self-directed reading", True),
        ):
            self._configure(ActivityType(code=code, name=name, requires_reflection=reflection))
        types = {activity_type.code: activity_type for activity_type in ActivityType.objects.all()}
        officer, provider_user = self.accounts["cpd-officer"], self.accounts["cpd-provider"]
        provider = cpd.provider_apply(
            actor=provider_user,
            name="Ubuntu Social Work Training Institute",
            contact_email=demo_email("training"),
            description="Short courses in child protection, ethics and supervision, in Gauteng and online.",
        )
        cpd.provider_decide(actor=officer, provider=provider, approve=True, reason="")
        waiting = self._user(email=demo_email("new-provider"), name="Pieter van Wyk", language="en", can_sign_in=False)
        cpd.provider_apply(
            actor=waiting, name="Karoo Care Workers' Academy", contact_email=demo_email("karoo"), description=""
        )
        today = council_today()
        cycle_end = dt.date(_renewal_year(today) - 1, 12, 31)  # the cycle the coming renewal checks
        held = min(today, cycle_end) - dt.timedelta(days=20)
        workshops = []
        for title, kind, points, subtype in (
            ("Trauma-informed practice with children", "course", 10, ""),
            ("Ethics and the law in statutory social work", "course", 6, "ethics"),
            ("Group supervision for practitioners", "supervision", 4, ""),
        ):
            submitted = cpd.accredited_activity_submit(
                actor=provider_user,
                provider=provider,
                title=title,
                activity_type=types[kind],
                held_on=held,
                proposed_points=Decimal(points),
                subtype=subtype,
            )
            workshops.append(
                cpd.accredited_activity_decide(
                    actor=officer, activity=submitted, approve=True, points=Decimal(points), reason=""
                )
            )
        practitioner = Practitioner.objects.get(user=self.accounts["practitioner"])
        practising = list(
            RegisterEntry.objects.filter(status__in=[RegisterEntry.Status.REGISTERED])
            .exclude(practitioner=practitioner)
            .order_by("pk")
            .values_list("registration_number", flat=True)
        )
        for index, workshop in enumerate(workshops):
            attendees = [number for position, number in enumerate(practising) if position % 7 != index]
            if index == 0:
                attendees.append(practitioner.register_entries.get().registration_number)
            body = "registration_number\n" + "".join(f"{number}\n" for number in attendees)
            cpd.attendance_upload(
                actor=provider_user,
                activity=workshop,
                uploaded=SimpleUploadedFile("attendance.csv", body.encode(), content_type="text/csv"),
            )

    def _exams(self) -> None:
        """The national exam for child and youth care workers, introduced this year: an upcoming sitting open for
        booking, the CYCW applicants in the queue booked on it (one asking for extra time), and a foreign-qualified
        person with the registrar's approval to test."""
        category = RegisterCategory.objects.get(code=CYCW)
        category.requires_exam = True
        configuration_save(
            actor=None, instance=category, changed_fields=["requires_exam"], reason="National exam introduced"
        )
        exam = self._configure(
            Exam(
                code="cycw-national", name="Child and youth care work: national exam", category=category, level="Entry"
            )
        )
        version = self._configure(ExamVersion(exam=exam, code="2026A", max_raw_score=120, pass_raw_score=72))
        officer = self.accounts["exams-officer"]
        now = timezone.now()
        starts = (now + dt.timedelta(days=45)).replace(hour=9, minute=0, second=0, microsecond=0)
        sitting = exams.sitting_create(
            actor=officer,
            version=version,
            code=f"cycw-{starts:%Y-%m}-dbn",
            starts_at=starts,
            is_online=False,
            venue="Durban University of Technology, Ritson Campus, Hall B",
            capacity=120,
            booking_opens_at=now - dt.timedelta(days=14),
            booking_closes_at=starts - dt.timedelta(days=10),
        )
        exams.sitting_create(
            actor=officer,
            version=version,
            code=f"cycw-{starts:%Y-%m}-online",
            starts_at=starts + dt.timedelta(days=2),
            is_online=True,
            venue="",
            capacity=60,
            booking_opens_at=now - dt.timedelta(days=14),
            booking_closes_at=starts - dt.timedelta(days=8),
        )
        waiting = Application.objects.filter(
            category=category, status__in=[Application.Status.SUBMITTED, Application.Status.IN_REVIEW]
        ).order_by("pk")
        for index, application in enumerate(waiting):
            booking = exams.booking_create(actor=application.applicant, sitting=sitting)
            if index == 0:
                exams.accommodation_request(
                    actor=application.applicant,
                    booking=booking,
                    details="25% extra time: I have dyslexia (assessment report available on request).",
                )
        overseas = self._user(
            email=demo_email("cycw-overseas"), name="Thandiwe Mokoena", language="en", can_sign_in=False
        )
        exams.approval_grant(
            actor=self.registrar,
            candidate=overseas,
            exam=exam,
            reason="Qualified in Zimbabwe; SAQA evaluation at NQF level 5 received. Approved to test before applying.",
            expires_date=council_today() + dt.timedelta(days=365),
        )

    def _employers(self) -> None:
        """An employer with a roster of forty staff, some not in good standing, watching for changes from here
        on: the later stages (renewals, lapses, conduct) give it alerts to read."""
        employer = self.accounts["employer"]
        organisation = employers.organisation_create(
            actor=None, name="Ubuntu Community Care", registration_number="NPO 042-117"
        )
        employers.member_add(actor=None, organisation=organisation, user=employer)
        portal_alerts.alerts_cursor_to_now()
        entries = RegisterEntry.objects.order_by("pk")
        numbers = [
            *entries.filter(status=EntryStatus.REGISTERED).values_list("registration_number", flat=True)[:32],
            *entries.exclude(status=EntryStatus.REGISTERED).values_list("registration_number", flat=True)[:8],
        ]
        rows = "".join(f"{number},EMP-{index:03d}\n" for index, number in enumerate(numbers, start=1))
        employers.roster_upload(
            actor=employer,
            organisation=organisation,
            name="staff-roster.csv",
            data=f"registration_number,reference\n{rows}".encode(),
        )
        employers.api_key_issue(actor=employer, organisation=organisation, name="HR system")

    def _conduct(self) -> None:
        """Conduct work in every stage: a care leaver's complaint awaiting triage, an investigation under a
        registrar's interim conditions, a charged case with a hearing whose panel has yet to declare, and a
        decided case whose caution is on the public register."""
        officer, panel = self.accounts["conduct-officer"], [self.accounts["hearing-panel-chair"]]
        panel.append(self.accounts["hearing-panel"])
        entries = list(
            RegisterEntry.objects.filter(status=EntryStatus.REGISTERED, category__code__in=[SW, CYCW])
            .exclude(practitioner__user__email=demo_email("practitioner"))
            .select_related("practitioner__user")
            .order_by("pk")[:4]
        )

        def lodge(entry: RegisterEntry, *, role: str, description: str, name: str = "", email: str = "") -> Any:
            return conduct.complaint_lodge(
                data={
                    "complainant_role": role,
                    "complainant_name": name,
                    "complainant_email": email,
                    "anonymous_to_practitioner": True,
                    "practitioner_named": entry.practitioner.full_name,
                    "registration_number_given": entry.registration_number,
                    "description": description,
                },
                attachments=[SimpleUploadedFile("statement.pdf", _pdf("Statement"), "application/pdf")],
                source_address="demo",
                tracking_url=lambda token: f"/complaints/track/{token}/",
            ).complaint

        lodge(
            entries[0],
            role="CARE_RESIDENT",
            description="I lived at the children's home until last year. My social worker read my private letters "
            "to the other children and laughed about them.",
        )
        investigated = lodge(
            entries[1],
            role="EMPLOYER",
            name="Ms R. Govender, Director, Lethabo Child and Youth Care Centre",
            email=demo_email("lethabo-director"),
            description="Mandatory report: our child and youth care worker was found asleep on a night shift twice "
            "and left two children unsupervised.",
        )
        case = conduct.complaint_triage(
            actor=officer,
            complaint=investigated,
            open_case=True,
            reason="Possible risk to children; within the council's remit.",
            register_entry=entries[1],
        )
        if case is not None:
            conduct.interim_order_make(
                actor=self.registrar,
                case=case,
                kind="CONDITIONS",
                conditions="No unsupervised night shifts pending the outcome of the case.",
                reason="Risk to children on night shifts while the investigation runs.",
            )
        charged = conduct.complaint_triage(
            actor=officer,
            complaint=lodge(
                entries[2],
                role="FAMILY_OR_CARER",
                name="Mr D. Naidoo",
                description="The social worker handling my mother's placement took money from her for 'fees'.",
            ),
            open_case=True,
            reason="Alleged financial abuse of a vulnerable adult.",
            register_entry=entries[2],
        )
        if charged is not None:
            conduct.case_charge(
                actor=officer,
                case=charged,
                charges="Took money from a client for services that carry no fee.",
                reason="Bank records and two witness statements support the allegation.",
            )
            conduct.hearing_schedule(
                actor=officer,
                case=charged,
                starts_at=(timezone.now() + dt.timedelta(days=21)).replace(hour=9, minute=30, second=0, microsecond=0),
                venue="Council chamber, Pretoria",
                members=panel,
                chair=panel[0],
            )
        decided = conduct.complaint_triage(
            actor=officer,
            complaint=lodge(
                entries[3],
                role="COLLEAGUE",
                description="Case records for three families were not written up for over six months.",
            ),
            open_case=True,
            reason="Record keeping is a standard of practice.",
            register_entry=entries[3],
        )
        if decided is not None:
            conduct.case_charge(actor=officer, case=decided, charges="Failed to keep records.", reason="Audit of files")
            hearing = conduct.hearing_schedule(
                actor=officer,
                case=decided,
                starts_at=timezone.now() + dt.timedelta(hours=1),
                venue="Online",
                members=panel,
                chair=panel[0],
            )
            for member in panel:
                conduct.panel_declare(actor=member, seat=hearing.seats.get(member=member), has_conflict=False)
            conduct.decision_record(
                actor=panel[0],
                hearing=hearing,
                decision=conduct.DecisionInput(
                    outcome="SANCTION",
                    findings="The records were not kept, as admitted.",
                    reasons="A first lapse, admitted and since put right: a caution is proportionate.",
                    sanction_kind="CAUTION",
                    public_summary="Did not keep case records up to date for six months.",
                ),
            )

    def _open_applications(self) -> None:
        """A few applications in every state, so each queue and page has something in it."""
        kinds = ApplicationDocument.Kind
        # Drafts: one complete but not submitted, two with only some answers.
        self._draft(self._person(category=SW, culture="es"))
        for category in (CYCW, SAW):
            person = self._person(category=category, culture="za")
            person.answers = {"given_names": person.given_names, "family_name": person.family_name}
            self._draft(person, kinds=())
        # Submitted, waiting in the queue.
        for category in (SW, SAW, CYCW):
            application = self._draft(self._person(category=category))
            registry.application_submit(actor=application.applicant, application=application)
        # In review: assigned, one recommended, one after an information request was answered.
        for index, category in enumerate((SW, SW, CYCW)):
            application = self._draft(self._person(category=category))
            self._in_review(application, recommend=index == 1)
            if index == 2:
                registry.application_request_information(
                    actor=self.officer, application=application, message="Please upload your academic transcript."
                )
                self._upload(application.applicant, application, kinds.TRANSCRIPT)
                registry.application_respond(
                    actor=application.applicant, application=application, response="My transcript is attached."
                )
        # Information requested: the demo applicant's own application, and two more.
        helene = _Person("Hélène Gaëlle", "Dubois", "fr", SW)
        helene.answers = self._answers(helene, qualification_code="deass")
        requests = (
            (
                helene,
                self.accounts["applicant"],
                "Please upload the SAQA evaluation certificate for your Diplôme d'État d'assistant de service social "
                "(as an 'Other supporting document').",
            ),
            (
                self._person(category=SW),
                None,
                "The copy of your identity document is not legible. Please upload a clearer certified copy.",
            ),
            (
                self._person(category=SAW),
                None,
                "Please upload your supervisor's signed confirmation of your supervised practice hours.",
            ),
        )
        for person, user, message in requests:
            application = self._draft(person, user=user)
            self._in_review(application)
            registry.application_request_information(actor=self.officer, application=application, message=message)
        # Refused, each with the registrar's reasons.
        short_hours = self._person(category=SAW, culture="za")
        short_hours.answers = {**self._answers(short_hours), "supervised_practice_hours": 80}
        wrong_qualification = self._person(category=SW, culture="za")
        wrong_qualification.answers = self._answers(
            wrong_qualification, qualification_code="diploma-community-development"
        )
        refusals = (
            (
                short_hours,
                "The application records 80 supervised practice hours; a social auxiliary worker needs 200. "
                "You may apply again once your supervisor confirms the remaining hours.",
            ),
            (
                wrong_qualification,
                "A Diploma in Community Development is not a qualification the council accepts for registration "
                "as a social worker.",
            ),
            (
                self._person(category=CYCW),
                "The institution named on the qualification certificate has no record of awarding it to the "
                "applicant, so the qualification could not be verified.",
            ),
        )
        for person, reason in refusals:
            application = self._draft(person)
            self._in_review(application)
            registry.application_decide(actor=self.registrar, application=application, approve=False, reason=reason)
        # Withdrawn by the applicant: from a draft, from the queue, and after an information request.
        application = self._draft(self._person(category=SAW), kinds=())
        registry.application_withdraw(
            actor=application.applicant,
            application=application,
            reason="Started in the wrong category; I will apply as a social worker.",
        )
        application = self._draft(self._person(category=SW))
        registry.application_submit(actor=application.applicant, application=application)
        registry.application_withdraw(
            actor=application.applicant,
            application=application,
            reason="I have accepted a post abroad and will not practise here this year.",
        )
        application = self._draft(self._person(category=CYCW))
        self._in_review(application)
        registry.application_request_information(
            actor=self.officer, application=application, message="Please upload your academic transcript."
        )
        registry.application_withdraw(
            actor=application.applicant,
            application=application,
            reason="I cannot get my transcript in time and will apply again next year.",
        )


def _renewal_year(today: dt.date) -> int:
    """The licence year a council is renewing for on `today`: next year once its window has opened."""
    rule_set = RuleSet.objects.order_by("-effective_date").first()
    if rule_set is not None:
        upcoming = licensing_rules.period_dates(rule_set=rule_set, year=today.year + 1)
        if today >= upcoming.opens_date:
            return today.year + 1
    return today.year


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([value for value, _weight in pairs], weights=[weight for _value, weight in pairs])[0]


def _split(pool: str) -> list[str]:
    return pool.split("|") if "|" in pool else pool.split()


_CATEGORIES_ACCEPTED = {spec["code"]: tuple(spec["accepted"]) for spec in _CATEGORIES}
# Foreign qualifications go to people from that country; local ones to anyone.
_CULTURE_OF_TYPE = {"trabajo-social": "es", "deass": "fr"}
