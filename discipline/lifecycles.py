"""The conduct case's allowed moves, in one screen. Services consult this table; nothing else sets a status."""

from __future__ import annotations

from discipline.models import CaseStatus

CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    # An investigation ends in charges, or is closed with no case to answer.
    CaseStatus.INVESTIGATION: frozenset({CaseStatus.CHARGED, CaseStatus.CLOSED}),
    CaseStatus.CHARGED: frozenset({CaseStatus.HEARING_SCHEDULED, CaseStatus.CLOSED}),
    # An adjourned hearing sends the case back to CHARGED, to be scheduled again.
    CaseStatus.HEARING_SCHEDULED: frozenset({CaseStatus.DECIDED, CaseStatus.CHARGED}),
    CaseStatus.DECIDED: frozenset({CaseStatus.APPEAL, CaseStatus.CLOSED}),
    CaseStatus.APPEAL: frozenset({CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset(),
}

OPEN_CASE_STATUSES = frozenset(status for status in CaseStatus if status != CaseStatus.CLOSED)
