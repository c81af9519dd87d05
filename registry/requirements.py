"""Checks a category's requirements before approval. Each check returns a reason it fails, or None.

The exam check is pluggable: a category that requires an exam is checked against
`REGISTRY_EXAM_CHECK` (a dotted path), by default the exams module's lookup of a published pass.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from registry.models import Application

Check = Callable[[Application], str | None]


def check_qualification_accepted(application: Application) -> str | None:
    accepted = application.category.accepted_qualification_types.all()
    if accepted and application.qualification_type not in accepted:
        return _("The qualification is not one this category accepts.")
    return None


def check_supervised_practice(application: Application) -> str | None:
    required = application.category.supervised_practice_hours_required
    if application.supervised_practice_hours < required:
        return _("The category needs %(required)s supervised practice hours; the application records %(hours)s.") % {
            "required": required,
            "hours": application.supervised_practice_hours,
        }
    return None


def check_exam_passed(application: Application) -> str | None:
    if not application.category.requires_exam:
        return None
    exam_check: Check = import_string(getattr(settings, "REGISTRY_EXAM_CHECK", "exams.requirements.exam_passed_check"))
    return exam_check(application)


CHECKS: tuple[Check, ...] = (check_qualification_accepted, check_supervised_practice, check_exam_passed)


def unmet_requirements(application: Application) -> list[str]:
    return [reason for check in CHECKS if (reason := check(application)) is not None]
