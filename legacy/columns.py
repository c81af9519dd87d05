"""What a legacy register file can hold: the fields a registrar maps the file's columns to.

Each field has the column names it is guessed from (after lower-casing and turning anything that is
not a letter or digit into "_"), so a file headed "Surname", "Reg No." or "Date of Birth" maps itself;
the registrar checks the guess and changes what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Target:
    key: str
    label: str | Promise
    required: bool
    aliases: tuple[str, ...]


TARGETS: tuple[Target, ...] = (
    Target(
        "registration_number",
        _("Registration number"),
        True,
        ("registration_number", "reg_no", "reg_number", "registration_no", "number", "licence_number"),
    ),
    Target("category", _("Register category"), True, ("category", "register", "cadre", "profession")),
    Target("status", _("Register status"), True, ("status", "register_status", "registration_status")),
    Target(
        "registered_date",
        _("Registered since"),
        True,
        ("registered_date", "registration_date", "date_registered", "registered_since", "registered_on"),
    ),
    Target(
        "given_names", _("Given names"), True, ("given_names", "given_name", "first_names", "first_name", "forenames")
    ),
    Target("family_name", _("Family name"), True, ("family_name", "surname", "last_name")),
    Target("previous_names", _("Previous names"), False, ("previous_names", "maiden_name", "former_names")),
    Target("date_of_birth", _("Date of birth"), False, ("date_of_birth", "dob", "birth_date", "birthdate")),
    Target("sex", _("Sex"), False, ("sex", "gender")),
    Target(
        "national_id",
        _("National ID number"),
        False,
        ("national_id", "id_number", "national_id_number", "identity_number"),
    ),
    Target("email", _("Email"), False, ("email", "email_address", "e_mail")),
    Target("phone", _("Phone"), False, ("phone", "telephone", "mobile", "cell", "phone_number")),
    Target("address", _("Address"), False, ("address", "postal_address", "home_address")),
    Target("region", _("Region of work"), False, ("region", "province", "district", "region_of_work")),
    Target("work_town", _("Town of work"), False, ("work_town", "town", "city", "town_of_work")),
    Target("conditions", _("Conditions in force"), False, ("conditions", "conditions_in_force")),
    Target(
        "qualification",
        _("Qualification"),
        False,
        ("qualification", "qualification_type", "highest_qualification"),
    ),
    Target("institution", _("Awarding institution"), False, ("institution", "university", "awarding_institution")),
    Target(
        "qualification_date",
        _("Qualification awarded on"),
        False,
        ("qualification_date", "awarded_date", "date_awarded", "qualification_awarded", "year_awarded"),
    ),
    Target("employer", _("Employer"), False, ("employer", "employer_name", "organisation")),
    Target("employer_sector", _("Employer sector"), False, ("employer_sector", "sector")),
    Target("job_title", _("Job title"), False, ("job_title", "position", "post", "designation")),
    Target("paid", _("Paid work (yes or no)"), False, ("paid", "is_paid", "paid_work")),
)
TARGET_KEYS = tuple(target.key for target in TARGETS)
REQUIRED_KEYS = tuple(target.key for target in TARGETS if target.required)


def column_key(raw: str) -> str:
    """'Reg No.' -> 'reg_no'; 'Date of Birth' -> 'date_of_birth'."""
    return re.sub(r"[^a-z0-9]+", "_", raw.strip().lower()).strip("_")


def mapping_guess(header: list[str]) -> dict[str, int | None]:
    """For each field, the first column whose name is one of its aliases (each column used once)."""
    keys = [column_key(name) for name in header]
    used: set[int] = set()
    guess: dict[str, int | None] = {}
    for target in TARGETS:
        guess[target.key] = None
        for alias in target.aliases:
            if alias in keys and keys.index(alias) not in used:
                guess[target.key] = keys.index(alias)
                used.add(keys.index(alias))
                break
    return guess
