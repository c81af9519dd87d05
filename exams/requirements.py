"""The exam check registry.requirements calls (settings.REGISTRY_EXAM_CHECK) before an application is approved."""

from __future__ import annotations

from django.utils.translation import gettext as _

from exams.selectors import category_exam_passed
from registry.models import Application


def exam_passed_check(application: Application) -> str | None:
    """None when the applicant's current published result for an exam of the category is a pass."""
    if category_exam_passed(user=application.applicant, category_id=application.category_id):
        return None
    return _("The applicant has not passed the category's national exam (no published pass on record).")
