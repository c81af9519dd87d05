"""What the subject-access export withholds, and which relations name a person only as the one who acted.

Three explicit tables, each checked by tests/privacy against the installed models, so a new secret
column or a new relation to a user is a decision someone makes, not something the export guesses:

- WITHHELD: credentials and keyed digests, per model. A history model follows its tracked model.
- NOT_CREDENTIALS: columns whose names look like secrets but are not (a file's SHA-256, the audit
  chain's hashes), so the test that looks for secret-looking names knows they were considered.
- ACTING_RELATIONS: relations to a user that record the person acting (deciding, recording,
  uploading, sitting on a panel, acting for an organisation), not a row held about them. Every
  relation to a user named `history_user` or ending in `_by` is one too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CREDENTIAL = _("A credential, or derived from one: never disclosed.")
KEYED_DIGEST = _("A keyed digest the council uses to match records; it reveals nothing about you.")
COMPLAINANT = _("The complainant asked that their identity be kept from the practitioner.")
ANOTHER_PERSON = _("Another person's email address; they are shown by number.")

# model label -> field name -> why it is withheld
WITHHELD: Mapping[str, Mapping[str, Promise]] = {
    "core.User": {"password": CREDENTIAL},
    "mfa.Authenticator": {"data": CREDENTIAL},
    "account.EmailConfirmation": {"key": CREDENTIAL},
    "portal.ApiKey": {"key_hash": CREDENTIAL, "prefix": CREDENTIAL},
    "portal.EmployerOrganisation": {"webhook_secret": CREDENTIAL},
    "licensing.CardPayment": {"client_secret": CREDENTIAL, "idempotency_key": CREDENTIAL},
    "discipline.Complaint": {"tracking_token_hash": CREDENTIAL, "source_hash": KEYED_DIGEST},
    "registry.Practitioner": {"national_id_digest": KEYED_DIGEST},
    "sessions.Session": {"session_key": CREDENTIAL, "session_data": CREDENTIAL},
}

# Columns that look like secrets by name and are not: model label -> field names.
NOT_CREDENTIALS: Mapping[str, frozenset[str]] = {
    "core.AuditEvent": frozenset({"hash", "previous_hash"}),  # the public audit chain
    "registry.ApplicationDocument": frozenset({"sha256"}),  # checksums of files
    "exams.ResultImport": frozenset({"sha256"}),
    "legacy.LegacyImport": frozenset({"sha256"}),
    "cpd.Activity": frozenset({"evidence_sha256"}),
    "cpd.AttendanceUpload": frozenset({"sha256"}),
    "discipline.ComplaintAttachment": frozenset({"sha256"}),
    "discipline.CaseDocument": frozenset({"sha256"}),
    "portal.VerificationStatement": frozenset({"payload_sha256", "token"}),  # a public, signed statement
    "licensing.CardPayment": frozenset({"intent_id"}),  # Stripe's id of the payment, not a secret
    "auth.Permission": frozenset({"codename"}),
}

# Withheld only in some rows: model label -> (does this row ask for it, given its fields and the person's
# user id; the fields; why).
ConditionalRule = tuple[Callable[[Mapping[str, Any], int | None], bool], frozenset[str], Promise]
WITHHELD_WHEN: Mapping[str, ConditionalRule] = {
    "discipline.Complaint": (
        lambda fields, _user_id: bool(fields.get("anonymous_to_practitioner")),
        frozenset({"complainant_name", "complainant_email", "complainant_phone"}),
        COMPLAINANT,
    ),
    # Other people are shown by number only: the member of staff who acted is the event's "actor".
    "core.AuditEvent": (
        lambda fields, user_id: fields.get("actor") is not None and fields["actor"]["pk"] != user_id,
        frozenset({"actor_label"}),
        ANOTHER_PERSON,
    ),
}

# Relations to a user that record the person acting, or acting for an organisation, and so do not make
# the row theirs: "model label.field name" (history models by their own label).
ACTING_RELATIONS = frozenset(
    {
        "admin.LogEntry.user",
        "core.AuditEvent.actor",
        "registry.Application.assigned_to",
        "registry.HistoricalApplication.assigned_to",
        "discipline.Case.officer",
        "discipline.HistoricalCase.officer",
        "discipline.Case.team",
        "discipline.PanelSeat.member",
        "discipline.HistoricalPanelSeat.member",
        "exams.ConflictOfInterest.examiner",
        "exams.HistoricalConflictOfInterest.examiner",
        # A provider's users act for it; the provider's activities and attendees are not theirs.
        "cpd.Provider.users",
        "cpd.HistoricalProvider_users.user",
    }
)


def is_acting_relation(label: str, field_name: str) -> bool:
    """Whether `label.field_name`, a relation to a user, names the person as the one who acted."""
    return field_name == "history_user" or field_name.endswith("_by") or f"{label}.{field_name}" in ACTING_RELATIONS
