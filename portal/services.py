"""Employer services and verification: every change here goes through one of these functions.

Each records an audit event (actor, reason) and, for tracked models, a history row. Statements and
search counts are records of reads, not changes to the register: they are kept in their own tables
and write no audit event (docs/architecture.md, "Public verification").
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.exceptions import ApplicationError
from core.history import save_with_history
from core.models import User
from core.roles import Role
from core.services import permission_require
from core.sql import fetch_prepared
from core.uploads import csv_text
from licensing.signing import canonical_json, key_id, payload_sign, signing_key
from portal import selectors, webhooks
from portal.models import (
    AlertFrequency,
    ApiKey,
    EmployerMember,
    EmployerOrganisation,
    RosterEntry,
    RosterSource,
    RosterUpload,
    VerificationStatement,
    WebhookDelivery,
)
from registry.models import RegisterEntry
from registry.numbers import normalise_registration_number

API_KEY_PREFIX = "crk_"
ROSTER_MAX_ROWS = 20000
ROSTER_MAX_BYTES = 2 * 1024 * 1024
_BINARY_SIGNATURES = (b"PK\x03\x04", b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"\xd0\xcf\x11\xe0", b"GIF8")


def _require_member(actor: User | None, organisation: EmployerOrganisation) -> None:
    """Employer actions are for the organisation's own users (None: the council's own jobs and set-up)."""
    if actor is None:
        return
    if not EmployerMember.objects.filter(user=actor, organisation=organisation).exists():
        raise ApplicationError(_("You do not act for this organisation."))


# Organisations (set up by the council) ---------------------------------------------------------


@transaction.atomic
def organisation_create(*, actor: User | None, name: str, registration_number: str = "") -> EmployerOrganisation:
    name = name.strip()
    if not name:
        raise ApplicationError(_("Give the organisation's name."))
    organisation = EmployerOrganisation(name=name, registration_number=registration_number.strip())
    save_with_history(organisation, actor=actor, reason="organisation created")
    audit_record(actor=actor, action="employer.created", obj=organisation, after={"name": name})
    return organisation


@transaction.atomic
def member_add(*, actor: User | None, organisation: EmployerOrganisation, user: User) -> EmployerMember:
    """Let a user act for an organisation: they join the employer group and see only its data."""
    if EmployerMember.objects.filter(user=user).exists():
        raise ApplicationError(_("This user already acts for an organisation."))
    member = EmployerMember(organisation=organisation, user=user)
    save_with_history(member, actor=actor, reason="employer user added")
    user.groups.add(Group.objects.get(name=Role.EMPLOYER_USER.value))
    audit_record(actor=actor, action="employer.member_added", obj=organisation, after={"user": user.email})
    return member


# API keys --------------------------------------------------------------------------------------


def api_key_hash(raw_key: str) -> str:
    """Keys are 32 random bytes, so a plain SHA-256 is enough: there is nothing to guess from."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def api_key_issue(*, actor: User, organisation: EmployerOrganisation, name: str) -> tuple[ApiKey, str]:
    """A new key. The whole key is returned once, to be shown once; only its hash is kept."""
    _require_member(actor, organisation)
    name = name.strip()
    if not name:
        raise ApplicationError(_("Give the key a name, such as the system that will use it."))
    prefix = secrets.token_hex(6)
    raw_key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(organisation=organisation, name=name[:100], prefix=prefix, key_hash=api_key_hash(raw_key))
    key.created_by = actor
    save_with_history(key, actor=actor, reason="API key issued")
    audit_record(actor=actor, action="api_key.issued", obj=key, after={"name": key.name, "prefix": prefix})
    return key, raw_key


@transaction.atomic
def api_key_revoke(*, actor: User, key: ApiKey, reason: str = "") -> ApiKey:
    """Revoke a key. It is refused from the next request on, by every process (portal.keycache)."""
    _require_member(actor, key.organisation)
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is not None:
        raise ApplicationError(_("This key has already been revoked."))
    key.revoked_at = timezone.now()
    key.revoked_by = actor
    save_with_history(key, actor=actor, reason=reason or "API key revoked", fields=["revoked_at", "revoked_by"])
    audit_record(actor=actor, action="api_key.revoked", obj=key, reason=reason, after={"prefix": key.prefix})
    return key


_API_KEY_FIELDS = ("id", "organisation_id", "prefix", "key_hash", "created_by_id")  # in the model's field order
_API_KEY_SQL = f"""
SELECT {", ".join(f"k.{name}" for name in _API_KEY_FIELDS)}
FROM {ApiKey._meta.db_table} k JOIN {EmployerOrganisation._meta.db_table} o ON o.id = k.organisation_id
WHERE k.prefix = %(prefix)s AND k.revoked_at IS NULL AND o.is_active
"""  # noqa: S608 - names from the models


def api_key_find(raw_key: str) -> ApiKey | None:
    """The active key of an active organisation for a presented secret, or None. Compared in constant time."""
    row = api_key_row(raw_key)
    return api_key_from_row(row) if row is not None else None


def api_key_row(raw_key: str) -> tuple[Any, ...] | None:
    """api_key_find's database row, which portal.keycache keeps. Every keyed API request the process has
    not seen the key of asks this, so it is one narrow statement: the key's organisation and user load
    only when used (roster changes, the audit trail)."""
    if not raw_key.startswith(API_KEY_PREFIX):
        return None
    prefix, _sep, _secret = raw_key.removeprefix(API_KEY_PREFIX).partition("_")
    rows = fetch_prepared(_API_KEY_SQL, {"prefix": prefix})
    if not rows or not hmac.compare_digest(rows[0][3], api_key_hash(raw_key)):
        return None
    return rows[0]


def api_key_from_row(row: tuple[Any, ...]) -> ApiKey:
    return ApiKey.from_db(connection.alias, list(_API_KEY_FIELDS), row)


# Rosters ---------------------------------------------------------------------------------------


@dataclass
class RosterOutcome:
    total: int = 0
    added: int = 0
    already: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def roster_text(data: bytes) -> str:
    """A roster file's text, or a clear reason it cannot be read."""
    if not data.strip():
        raise ApplicationError(_("The file is empty."))
    if len(data) > ROSTER_MAX_BYTES:
        raise ApplicationError(_("The file is larger than 2 MB. Split it into smaller files."))
    if data.startswith(_BINARY_SIGNATURES) or b"\x00" in data[:8192]:
        raise ApplicationError(_("This is not a CSV file (it looks like a spreadsheet, PDF or image). Save it as CSV."))
    return csv_text(data)


def _roster_rows(text: str) -> list[tuple[int, str, str]]:
    """(line number, registration number as given, staff reference) for each data row of a roster CSV."""
    reader = csv.reader(io.StringIO(text))
    header = [column.strip().lower().replace(" ", "_") for column in next(reader, [])]
    if "registration_number" not in header:
        if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            raise ApplicationError(_("The columns are separated by semicolons or tabs. Save the file as CSV."))
        raise ApplicationError(
            _(
                'The first line must name the columns, with one called "registration_number" '
                '(and optionally "reference").'
            )
        )
    number_at = header.index("registration_number")
    reference_at = header.index("reference") if "reference" in header else None
    rows = []
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        number = row[number_at].strip() if number_at < len(row) else ""
        reference = row[reference_at].strip() if reference_at is not None and reference_at < len(row) else ""
        rows.append((line, number, reference))
    if len(rows) > ROSTER_MAX_ROWS:
        raise ApplicationError(
            _("The file has %(count)s rows; the most one file may have is %(limit)s.")
            % {"count": len(rows), "limit": ROSTER_MAX_ROWS}
        )
    return rows


def _roster_add(
    *, actor: User, organisation: EmployerOrganisation, rows: list[tuple[int, str, str]], source: str
) -> RosterOutcome:
    """Add the good rows, explain each bad one. Bad rows never stop the good ones."""
    outcome = RosterOutcome(total=len(rows))
    wanted: dict[str, tuple[int, str]] = {}
    for line, given, reference in rows:
        number = normalise_registration_number(given) if given else None
        if not given:
            outcome.errors.append({"row": line, "value": given, "message": _("The registration number is missing.")})
        elif number is None:
            outcome.errors.append(
                {
                    "row": line,
                    "value": given[:40],
                    "message": _("This is not a valid registration number: check it for a typing mistake."),
                }
            )
        elif number in wanted:
            outcome.errors.append(
                {
                    "row": line,
                    "value": given[:40],
                    "message": _("This number is also on row %(row)s.") % {"row": wanted[number][0]},
                }
            )
        else:
            wanted[number] = (line, reference[:60])
    entries = dict(
        RegisterEntry.objects.filter(registration_number__in=list(wanted)).values_list("registration_number", "pk")
    )
    on_roster = set(
        RosterEntry.objects.filter(organisation=organisation, register_entry_id__in=entries.values()).values_list(
            "register_entry_id", flat=True
        )
    )
    new = []
    for number, (line, reference) in wanted.items():
        entry_id = entries.get(number)
        if entry_id is None:
            outcome.errors.append(
                {"row": line, "value": number, "message": _("No one is registered under this number.")}
            )
        elif entry_id in on_roster:
            outcome.already += 1
        else:
            new.append(
                RosterEntry(
                    organisation=organisation,
                    register_entry_id=entry_id,
                    staff_reference=reference,
                    source=source,
                    added_by=actor,
                )
            )
    RosterEntry.objects.bulk_create(new, batch_size=2000)
    RosterEntry.history.bulk_history_create(new, batch_size=2000, default_user=actor, default_change_reason=source)
    outcome.added = len(new)
    outcome.errors.sort(key=lambda error: error["row"])
    return outcome


@transaction.atomic
def roster_upload(*, actor: User, organisation: EmployerOrganisation, name: str, data: bytes) -> RosterUpload:
    """Add a CSV of registration numbers to the roster. Good rows are kept; each bad row is explained."""
    _require_member(actor, organisation)
    rows = _roster_rows(roster_text(data))
    if not rows:
        raise ApplicationError(_("The file has a header but no rows."))
    outcome = _roster_add(actor=actor, organisation=organisation, rows=rows, source=RosterSource.UPLOAD)
    upload = RosterUpload.objects.create(
        organisation=organisation,
        uploaded_by=actor,
        original_name=(name or "roster.csv")[:255],
        rows_total=outcome.total,
        rows_added=outcome.added,
        rows_already=outcome.already,
        errors=outcome.errors,
    )
    audit_record(
        actor=actor,
        action="roster.uploaded",
        obj=organisation,
        after={"file": upload.original_name, "rows": outcome.total, "added": outcome.added, "bad": len(outcome.errors)},
    )
    return upload


@transaction.atomic
def roster_add_numbers(*, actor: User, organisation: EmployerOrganisation, numbers: list[Any]) -> RosterOutcome:
    """The API's roster upload: a list of numbers (or {"registration_number", "reference"} objects)."""
    _require_member(actor, organisation)
    rows = []
    for index, item in enumerate(numbers, start=1):
        if isinstance(item, dict):
            rows.append((index, str(item.get("registration_number", "")).strip(), str(item.get("reference", ""))))
        else:
            rows.append((index, str(item).strip(), ""))
    outcome = _roster_add(actor=actor, organisation=organisation, rows=rows, source=RosterSource.API)
    audit_record(
        actor=actor,
        action="roster.added",
        obj=organisation,
        after={"rows": outcome.total, "added": outcome.added, "bad": len(outcome.errors)},
    )
    return outcome


@transaction.atomic
def roster_remove(*, actor: User, organisation: EmployerOrganisation, registration_number: str) -> None:
    _require_member(actor, organisation)
    row = (
        RosterEntry.objects.filter(organisation=organisation, register_entry__registration_number=registration_number)
        .select_for_update()
        .first()
    )
    if row is None:
        raise RosterEntry.DoesNotExist
    row._history_user = actor  # type: ignore[attr-defined]
    row._change_reason = "removed from roster"  # type: ignore[attr-defined]
    row.delete()
    audit_record(
        actor=actor, action="roster.removed", obj=organisation, after={"registration_number": registration_number}
    )


# Alert settings --------------------------------------------------------------------------------


@transaction.atomic
def alert_settings_save(
    *, actor: User, organisation: EmployerOrganisation, frequency: str, webhook_url: str
) -> tuple[EmployerOrganisation, str | None]:
    """Save how the organisation hears of changes. A new webhook address gets a new signing secret,
    returned once (None when it is unchanged)."""
    _require_member(actor, organisation)
    if frequency not in AlertFrequency.values:
        raise ApplicationError(_("Choose how often to be emailed."))
    webhook_url = webhook_url.strip()
    if webhook_url:
        webhooks.url_check(webhook_url)
    organisation = EmployerOrganisation.objects.select_for_update().get(pk=organisation.pk)
    before = {"alert_frequency": organisation.alert_frequency, "webhook_url": organisation.webhook_url}
    new_secret = None
    if webhook_url != organisation.webhook_url:
        new_secret = webhooks.new_secret() if webhook_url else None
        organisation.webhook_secret = new_secret or ""
    organisation.alert_frequency = frequency
    organisation.webhook_url = webhook_url
    save_with_history(
        organisation,
        actor=actor,
        reason="alert settings changed",
        fields=["alert_frequency", "webhook_url", "webhook_secret"],
    )
    audit_record(
        actor=actor,
        action="employer.alert_settings_changed",
        obj=organisation,
        before=before,
        after={"alert_frequency": frequency, "webhook_url": webhook_url, "new_secret": new_secret is not None},
    )
    return organisation, new_secret


@transaction.atomic
def webhook_secret_rotate(*, actor: User, organisation: EmployerOrganisation) -> str:
    _require_member(actor, organisation)
    organisation = EmployerOrganisation.objects.select_for_update().get(pk=organisation.pk)
    if not organisation.webhook_url:
        raise ApplicationError(_("Set a webhook address first."))
    secret = webhooks.new_secret()
    organisation.webhook_secret = secret
    save_with_history(organisation, actor=actor, reason="webhook secret rotated", fields=["webhook_secret"])
    audit_record(actor=actor, action="employer.webhook_secret_rotated", obj=organisation)
    return secret


@transaction.atomic
def webhook_resend(*, actor: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, as a new delivery with the same event id (receivers can de-duplicate)."""
    _require_member(actor, delivery.organisation)
    organisation = delivery.organisation
    if not organisation.webhook_url:
        raise ApplicationError(_("Set a webhook address first."))
    copy = WebhookDelivery.objects.create(
        organisation=organisation,
        alert=delivery.alert,
        event_id=delivery.event_id,
        url=organisation.webhook_url,
        body=delivery.body,
        resent_from=delivery,
        next_attempt_at=timezone.now(),
    )
    audit_record(
        actor=actor, action="webhook.resent", obj=copy, after={"event_id": str(copy.event_id), "from": delivery.pk}
    )
    webhooks.dispatch_after_commit([copy.pk])
    return copy


# Staff -----------------------------------------------------------------------------------------


@transaction.atomic
def register_export_record(*, actor: User) -> None:
    """The whole register leaving the system is worth a line in the audit log: who, and when."""
    from core.models import Council

    permission_require(actor, "portal.export_register")
    council = Council.objects.first()
    if council is not None:
        audit_record(actor=actor, action="register.exported", obj=council, after={"format": "csv"})


# Statements ------------------------------------------------------------------------------------

_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O or U


def _new_reference() -> str:
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(12))
    return f"VS-{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def statement_issue(*, entry: RegisterEntry, day: Any) -> VerificationStatement:
    """A signed statement of the entry as at `day`. The same facts give back the same statement."""
    facts = selectors.entry_facts_as_at(entry=entry, day=day)
    digest = hashlib.sha256(canonical_json(facts)).hexdigest()
    existing = VerificationStatement.objects.filter(register_entry=entry, payload_sha256=digest).first()
    if existing is not None:
        return existing
    issued_at = timezone.now().replace(microsecond=0)
    reference = _new_reference()
    # The stored payload is the token's exactly, with the id of the key that signed it.
    payload = {**facts, "ref": reference, "issued_at": issued_at.isoformat(), "kid": key_id(signing_key().public_key())}
    token = payload_sign(payload)
    try:
        with transaction.atomic():
            return VerificationStatement.objects.create(
                reference=reference,
                register_entry=entry,
                as_at_date=day,
                payload=payload,
                payload_sha256=digest,
                token=token,
                issued_at=issued_at,
            )
    except IntegrityError:  # the same statement was issued by a concurrent request
        return VerificationStatement.objects.get(register_entry=entry, payload_sha256=digest)
