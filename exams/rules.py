"""Reading the exam parts of a council's rule version (core.RuleSet.rules).

    "exams": {
        "attempt_limit": 3,          # attempts at one exam, counting every sitting a candidate was booked on
        "retake_wait_days": 90,      # days from one attempt's sitting to the next one's
        "by_exam": {"<exam code>": {"attempt_limit": 4}},   # optional overrides per exam
    }

The booking fee is the category's "exam" fee in "fees" (see licensing.rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.models import RuleSet


class ExamRulesIncomplete(ApplicationError):
    """The rule version does not say how many attempts are allowed, or how long to wait between them."""


@dataclass(frozen=True)
class AttemptPolicy:
    attempt_limit: int
    retake_wait_days: int


def attempt_policy(*, rule_set: RuleSet, exam_code: str) -> AttemptPolicy:
    section: dict[str, Any] = rule_set.rules.get("exams") or {}
    merged = {**section, **(section.get("by_exam") or {}).get(exam_code, {})}
    try:
        limit = int(merged["attempt_limit"])
        wait = int(merged["retake_wait_days"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ExamRulesIncomplete(_("The rules do not set exams.attempt_limit and exams.retake_wait_days.")) from exc
    if limit < 1 or wait < 0:
        raise ExamRulesIncomplete(
            _("The exam attempt rules must allow at least one attempt and a wait of zero or more days.")
        )
    return AttemptPolicy(attempt_limit=limit, retake_wait_days=wait)
