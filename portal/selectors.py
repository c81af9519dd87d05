"""Reads for the public register, verification and employer services.

Everything public goes through `public_fields` or `standing_*`: they hold DESIGN.md's public list,
and nothing else of a practitioner is ever read into a public response.
"""

from __future__ import annotations

import datetime as dt
import enum
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.models import User
from core.selectors import council_get, council_today
from core.sql import fetch_prepared, on_postgresql
from discipline.models import Publication
from licensing.models import Licence, RenewalPeriod
from portal.models import (
    ApiKey,
    ChangeAlert,
    EmployerMember,
    EmployerOrganisation,
    RosterEntry,
    RosterUpload,
    SearchCount,
    VerificationStatement,
    WebhookDelivery,
)
from registry.lifecycles import ENTRY_PRACTISING_STATUSES
from registry.models import RegisterEntry
from registry.selectors import _public_entries

EXPIRING_WITHIN_DAYS = 60


# Public register -----------------------------------------------------------------------------


def with_licence(entries: QuerySet[RegisterEntry], *, on_date: dt.date) -> QuerySet[RegisterEntry]:
    """Annotate the practising licence in force on a date (its first and last days), if any."""
    in_force = Licence.objects.filter(
        register_entry=OuterRef("pk"), valid_from_date__lte=on_date, valid_to_date__gte=on_date
    ).order_by("-valid_to_date")
    return entries.annotate(
        licence_valid_from=Subquery(in_force.values("valid_from_date")[:1]),
        licence_valid_to=Subquery(in_force.values("valid_to_date")[:1]),
    )


def public_entries(*, on_date: dt.date | None = None) -> QuerySet[RegisterEntry]:
    """The public register, with the licence in force on `on_date` (default: today where the request is:
    the council's middleware activates its time zone, so no query is spent asking for it)."""
    return with_licence(_public_entries(), on_date=on_date or timezone.localdate())


def public_entry(*, registration_number: str) -> RegisterEntry:
    return public_entries().get(registration_number=registration_number)


LICENSING_CACHE_SECONDS = 300
LICENSING_MEMO_SECONDS = 60
_LICENSING_MEMO: dict[dt.date, tuple[float, bool]] = {}


def licensing_in_force(*, on_date: dt.date | None = None) -> bool:
    """Whether a licence year covers the date. A council that has none (yet) registers without licences,
    and then "no licence in force" says nothing about anyone. Cached for a few minutes: it is asked on
    the hottest pages and changes once a year."""
    day = on_date or timezone.localdate()
    now = time.monotonic()
    remembered = _LICENSING_MEMO.get(day)
    if remembered is not None and remembered[0] > now:
        return remembered[1]
    key = f"portal:licensing-in-force:{day.isoformat()}"
    cached = cache.get(key)
    if cached is None:
        cached = RenewalPeriod.objects.filter(valid_from_date__lte=day, valid_to_date__gte=day).exists()
        cache.set(key, cached, LICENSING_CACHE_SECONDS)
    # Held in the process for a minute too, so the hottest paths make no cache round trip for it.
    _LICENSING_MEMO[day] = (now + LICENSING_MEMO_SECONDS, bool(cached))
    return bool(cached)


def licensing_memo_clear() -> None:
    """Forget what this process remembers (tests, after creating a licence year)."""
    _LICENSING_MEMO.clear()


def status_headline(*, status: str, status_label: str, licence_valid_to: dt.date | None, licensing: bool = True) -> str:
    """The status in plain words, e.g. "Registered and licensed to practise until 31 March 2027"."""
    if status in ENTRY_PRACTISING_STATUSES:
        conditioned = status == RegisterEntry.Status.REGISTERED_WITH_CONDITIONS
        if not licensing and licence_valid_to is None:
            return _("Registered with conditions: may practise") if conditioned else _("Registered: may practise")
        if licence_valid_to is not None:
            until = date_format(licence_valid_to, "j F Y")
            if conditioned:
                return _("Registered with conditions, and licensed to practise until %(date)s") % {"date": until}
            return _("Registered and licensed to practise until %(date)s") % {"date": until}
        if conditioned:
            return _("Registered with conditions; no practising licence is in force")
        return _("Registered; no practising licence is in force")
    return _("Not permitted to practise: %(status)s") % {"status": status_label}


def public_notices_for(entry_ids: Iterable[int]) -> dict[int, list[Publication]]:
    """The notices published today, for many entries in one query."""
    notices: dict[int, list[Publication]] = {}
    rows = (
        Publication.objects.filter(register_entry_id__in=list(entry_ids), status=Publication.Status.PUBLISHED)
        .only("kind", "summary", "start_date", "end_date", "register_entry_id")
        .order_by("-start_date", "-id")
    )
    for notice in rows:
        notices.setdefault(notice.register_entry_id, []).append(notice)
    return notices


class Disclosure(enum.StrEnum):
    """Whether the public register shows an optional field: never, only with the practitioner's consent, or always."""

    NEVER = "never"
    WITH_CONSENT = "with-consent"
    ALWAYS = "always"

    @classmethod
    def of(cls, *, published: bool, consent_needed: bool) -> Disclosure:
        if not published:
            return cls.NEVER
        return cls.WITH_CONSENT if consent_needed else cls.ALWAYS

    def allows(self, *, consented: bool) -> bool:
        return self is Disclosure.ALWAYS or (self is Disclosure.WITH_CONSENT and consented)


@dataclass(frozen=True)
class OptionalPublicFields:
    """The one place that decides whether the optional public fields (previous names, town of work) are shown.

    A field is published when the council publishes it and either its rules need no consent or the
    practitioner consented. Every public path asks this: the record page, the search (which matches
    previous names only where they are publishable), the API and the signed statements.
    """

    previous_names: Disclosure
    work_town: Disclosure

    def published(
        self,
        *,
        previous_names: str,
        consents_to_previous_names: bool,
        work_town: str,
        consents_to_work_town: bool,
    ) -> dict[str, str]:
        """The optional fields this practitioner's public record shows, by name (absent: not shown)."""
        shown: dict[str, str] = {}
        if self.previous_names.allows(consented=consents_to_previous_names):
            shown["previous_names"] = previous_names
        if self.work_town.allows(consented=consents_to_work_town):
            shown["work_town"] = work_town
        return shown

    def published_for(self, practitioner: Any) -> dict[str, str]:
        return self.published(
            previous_names=practitioner.previous_names,
            consents_to_previous_names=practitioner.consents_to_publish_previous_names,
            work_town=practitioner.work_town,
            consents_to_work_town=practitioner.consents_to_publish_work_town,
        )

    def previous_names_searchable(self) -> Q | None:
        """For the name search (from a register entry): the rows whose previous names may be matched, or None
        when none may. Matching a name the record does not show would tell the searcher the two are linked."""
        if self.previous_names is Disclosure.NEVER:
            return None
        if self.previous_names is Disclosure.WITH_CONSENT:
            return Q(practitioner__consents_to_publish_previous_names=True)
        return Q()


def optional_public_fields(council: Any = None) -> OptionalPublicFields:
    """The council's rules for the optional public fields. Pass request.council to save a query."""
    council = council or council_get()
    if council is None:
        return OptionalPublicFields(previous_names=Disclosure.NEVER, work_town=Disclosure.NEVER)
    consent_needed = bool(council.optional_public_fields_need_consent)
    return OptionalPublicFields(
        previous_names=Disclosure.of(
            published=council.public_register_shows_previous_names, consent_needed=consent_needed
        ),
        work_town=Disclosure.of(published=council.public_register_shows_work_town, consent_needed=consent_needed),
    )


def public_fields(
    entry: RegisterEntry, *, notices: list[Publication], optional: OptionalPublicFields
) -> dict[str, Any]:
    """An entry as the public may see it: DESIGN.md's public list, and nothing else."""
    return _public_dict(
        registration_number=entry.registration_number,
        given_names=entry.practitioner.given_names,
        family_name=entry.practitioner.family_name,
        optional_fields=optional.published_for(entry.practitioner),
        category=(entry.category.code, entry.category.name),
        status=entry.status,
        registered_date=entry.registered_date,
        conditions=entry.conditions,
        licence=(getattr(entry, "licence_valid_from", None), getattr(entry, "licence_valid_to", None)),
        notices=[(notice.kind, notice.start_date, notice.end_date, notice.summary) for notice in notices],
    )


_STATUS_LABELS = RegisterEntry.Status
_KIND_LABELS = Publication.Kind


def _public_dict(
    *,
    registration_number: str,
    given_names: str,
    family_name: str,
    optional_fields: dict[str, str],
    category: tuple[str, str],
    status: str,
    registered_date: dt.date,
    conditions: str,
    licence: tuple[dt.date | None, dt.date | None],
    notices: list[tuple[str, dt.date, dt.date | None, str]],
) -> dict[str, Any]:
    """The one place the public list is written down; every public response is built here."""
    status_label = str(_STATUS_LABELS(status).label)
    licence_from, licence_to = licence
    data: dict[str, Any] = {
        "registration_number": registration_number,
        "given_names": given_names,
        "family_name": family_name,
        "category": {"code": category[0], "name": category[1]},
        "status": status,
        "status_label": status_label,
        "status_summary": status_headline(
            status=status, status_label=status_label, licence_valid_to=licence_to, licensing=licensing_in_force()
        ),
        "may_practise": status in ENTRY_PRACTISING_STATUSES,
        "registered_since": registered_date,
        "conditions": conditions,
        "licence": {"valid_from": licence_from, "valid_to": licence_to} if licence_to is not None else None,
        "notices": [
            {
                "kind": kind,
                "kind_label": str(_KIND_LABELS(kind).label),
                "start_date": start,
                "end_date": end,
                "summary": summary,
            }
            for kind, start, end, summary in notices
        ],
    }
    data.update(optional_fields)  # only what OptionalPublicFields allows for this practitioner
    return data


# The API's lookup by number in one statement (PostgreSQL): the entry with its person and category,
# the licence in force, and the published notices as JSON. The ORM takes longer to build this query
# than PostgreSQL takes to answer it, on the API's hottest path.
_LOOKUP_SQL = """
SELECT e.registration_number, e.status, e.registered_date, e.conditions,
       p.given_names, p.family_name, p.previous_names, p.consents_to_publish_previous_names,
       p.work_town, p.consents_to_publish_work_town, c.code, c.name,
       l.valid_from_date, l.valid_to_date,
       (SELECT coalesce(json_agg(json_build_object(
                  'kind', n.kind, 'start_date', n.start_date, 'end_date', n.end_date, 'summary', n.summary)
                ORDER BY n.start_date DESC, n.id DESC), '[]'::json)
          FROM discipline_publication n
         WHERE n.register_entry_id = e.id AND n.status = 'PUBLISHED')
FROM registry_registerentry e
JOIN registry_practitioner p ON p.id = e.practitioner_id
JOIN registry_registercategory c ON c.id = e.category_id
LEFT JOIN LATERAL (
    SELECT valid_from_date, valid_to_date FROM licensing_licence
     WHERE register_entry_id = e.id AND valid_from_date <= %(day)s AND valid_to_date >= %(day)s
     ORDER BY valid_to_date DESC LIMIT 1
) l ON true
WHERE e.registration_number = %(number)s
"""


def public_record(*, registration_number: str, optional: OptionalPublicFields) -> dict[str, Any] | None:
    """One entry's public fields by its (normalised) number, or None: one query on PostgreSQL."""
    if not on_postgresql():
        try:
            entry = public_entry(registration_number=registration_number)
        except RegisterEntry.DoesNotExist:
            return None
        notices = public_notices_for([entry.pk]).get(entry.pk, [])
        return public_fields(entry, notices=notices, optional=optional)
    rows = fetch_prepared(_LOOKUP_SQL, {"number": registration_number, "day": timezone.localdate()})
    if not rows:
        return None
    (
        number,
        status,
        registered,
        conditions,
        given,
        family,
        previous,
        previous_consent,
        town,
        town_consent,
        code,
        name,
        valid_from,
        valid_to,
        notices,
    ) = rows[0]
    return _public_dict(
        registration_number=number,
        given_names=given,
        family_name=family,
        optional_fields=optional.published(
            previous_names=previous,
            consents_to_previous_names=previous_consent,
            work_town=town,
            consents_to_work_town=town_consent,
        ),
        category=(code, name),
        status=status,
        registered_date=registered,
        conditions=conditions,
        licence=(valid_from, valid_to),
        notices=[
            (
                notice["kind"],
                dt.date.fromisoformat(notice["start_date"]),
                dt.date.fromisoformat(notice["end_date"]) if notice["end_date"] else None,
                notice["summary"],
            )
            for notice in notices
        ],
    )


@dataclass(frozen=True)
class StatusPeriod:
    status: str
    label: str
    start_date: dt.date
    end_date: dt.date | None


def status_periods(*, entry: RegisterEntry) -> list[StatusPeriod]:
    """The entry's statuses over time, oldest first, from its history rows (consecutive repeats merged)."""
    rows = list(entry.history.order_by("history_date", "history_id").values_list("status", "history_date"))
    periods: list[tuple[str, dt.date]] = []
    for status, changed_at in rows:
        if periods and periods[-1][0] == status:
            continue
        periods.append((status, timezone.localdate(changed_at)))
    if periods:
        # The first period starts when the person was registered, even when the history begins later.
        periods[0] = (periods[0][0], min(periods[0][1], entry.registered_date))
    labels = dict(RegisterEntry.Status.choices)
    return [
        StatusPeriod(
            status=status,
            label=str(labels.get(status, status)),
            start_date=start,
            end_date=periods[index + 1][1] if index + 1 < len(periods) else None,
        )
        for index, (status, start) in enumerate(periods)
    ]


# As-at facts (for statements) ------------------------------------------------------------------


def _end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def entry_facts_as_at(
    *, entry: RegisterEntry, day: dt.date, optional: OptionalPublicFields | None = None
) -> dict[str, Any]:
    """What the register said of an entry at the end of `day` (council time): the body of a statement.

    The names, and the optional fields the council's rules and the practitioner's consent allow today
    (optional_public_fields), are the record's current ones, as on the public record page."""
    end = _end_of_day(day)
    registered = day >= entry.registered_date
    status = ""
    conditions = ""
    if registered:
        row = entry.history.filter(history_date__lt=end).order_by("-history_date", "-history_id").first()
        if row is None:  # registered before the history begins (e.g. an imported register)
            row = entry.history.order_by("history_date", "history_id").first()
        status = row.status if row is not None else entry.status
        conditions = row.conditions if row is not None else entry.conditions
    licence = (
        Licence.objects.filter(
            register_entry=entry, valid_from_date__lte=day, valid_to_date__gte=day, issued_at__lt=end
        )
        .order_by("-valid_to_date")
        .values("valid_from_date", "valid_to_date")
        .first()
        if registered
        else None
    )
    notices = (
        list(
            Publication.objects.filter(register_entry=entry, start_date__lte=day, created_at__lt=end)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
            .filter(Q(taken_down_at__isnull=True) | Q(taken_down_at__gte=end))
            .order_by("start_date", "id")
            .values("kind", "start_date", "end_date")
        )
        if registered
        else []
    )
    practising = status in ENTRY_PRACTISING_STATUSES
    return {
        "typ": "verification-statement",
        "as_at": day.isoformat(),
        "registration_number": entry.registration_number,
        "given_names": entry.practitioner.given_names,
        "family_name": entry.practitioner.family_name,
        **(optional or optional_public_fields()).published_for(entry.practitioner),
        "category": entry.category.code,
        "category_name": entry.category.name,
        "on_register": registered,
        "status": status or "NOT_REGISTERED",
        "may_practise": practising,
        "unrestricted": practising and not conditions and not notices,
        "conditions": conditions,
        "licence": (
            {"valid_from": licence["valid_from_date"].isoformat(), "valid_to": licence["valid_to_date"].isoformat()}
            if licence
            else None
        ),
        "notices": [
            {
                "kind": notice["kind"],
                "start_date": notice["start_date"].isoformat(),
                "end_date": notice["end_date"].isoformat() if notice["end_date"] else None,
            }
            for notice in notices
        ],
    }


def statement_get(*, reference: str) -> VerificationStatement:
    return VerificationStatement.objects.select_related("register_entry").get(reference=reference.strip().upper())


# Employers -------------------------------------------------------------------------------------


def organisation_for(*, user: User) -> EmployerOrganisation | None:
    """The organisation a user acts for, or None. Every employer read is scoped by it."""
    member = EmployerMember.objects.select_related("organisation").filter(user=user).first()
    if member is None or not member.organisation.is_active:
        return None
    return member.organisation


@dataclass(frozen=True)
class RosterRow:
    roster_id: int
    staff_reference: str
    entry: RegisterEntry
    flags: tuple[str, ...]


ROSTER_FLAGS = ("lapsed", "suspended", "removed", "conditioned", "expiring", "unlicensed")


def _flags(entry: RegisterEntry, *, today: dt.date, licensing: bool) -> tuple[str, ...]:
    status = entry.status
    flags = []
    if status == RegisterEntry.Status.LAPSED:
        flags.append("lapsed")
    elif status == RegisterEntry.Status.SUSPENDED:
        flags.append("suspended")
    elif status not in ENTRY_PRACTISING_STATUSES:
        flags.append("removed")
    if status == RegisterEntry.Status.REGISTERED_WITH_CONDITIONS:
        flags.append("conditioned")
    valid_to = getattr(entry, "licence_valid_to", None)
    if status in ENTRY_PRACTISING_STATUSES:
        if valid_to is None:
            if licensing:
                flags.append("unlicensed")
        elif valid_to <= today + dt.timedelta(days=EXPIRING_WITHIN_DAYS):
            flags.append("expiring")
    return tuple(flags)


def roster_rows(*, organisation: EmployerOrganisation) -> Iterator[RosterRow]:
    """The organisation's roster with each person's public standing today, ordered by name, streamed."""
    today = council_today()
    roster = (
        RosterEntry.objects.filter(organisation=organisation)
        .order_by("register_entry__practitioner__family_name", "register_entry__practitioner__given_names", "id")
        .values_list("id", "staff_reference", "register_entry_id")
    )
    chunk: list[tuple[int, str, int]] = []
    for row in roster.iterator(chunk_size=2000):
        chunk.append(row)
        if len(chunk) == 2000:
            yield from _roster_chunk(chunk, today=today)
            chunk = []
    if chunk:
        yield from _roster_chunk(chunk, today=today)


def _roster_chunk(chunk: list[tuple[int, str, int]], *, today: dt.date) -> Iterator[RosterRow]:
    entries = {entry.pk: entry for entry in public_entries(on_date=today).filter(pk__in=[row[2] for row in chunk])}
    licensing = licensing_in_force(on_date=today)
    for roster_id, reference, entry_id in chunk:
        entry = entries[entry_id]
        flags = _flags(entry, today=today, licensing=licensing)
        yield RosterRow(roster_id=roster_id, staff_reference=reference, entry=entry, flags=flags)


def roster_summary(rows: Iterable[RosterRow]) -> dict[str, int]:
    counts = dict.fromkeys(("total", *ROSTER_FLAGS), 0)
    for row in rows:
        counts["total"] += 1
        for flag in row.flags:
            counts[flag] += 1
    return counts


def roster_upload_get(*, organisation: EmployerOrganisation, upload_id: int) -> RosterUpload:
    return RosterUpload.objects.get(organisation=organisation, pk=upload_id)


def api_keys(*, organisation: EmployerOrganisation) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(organisation=organisation).select_related("created_by", "revoked_by")


def api_key_get(*, organisation: EmployerOrganisation, key_id: int) -> ApiKey:
    return ApiKey.objects.get(organisation=organisation, pk=key_id)


def alerts(*, organisation: EmployerOrganisation) -> QuerySet[ChangeAlert]:
    return ChangeAlert.objects.filter(organisation=organisation).select_related(
        "register_entry__practitioner", "register_entry__category"
    )


def deliveries(*, organisation: EmployerOrganisation) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(organisation=organisation).select_related("alert")


def delivery_get(*, organisation: EmployerOrganisation, delivery_id: int) -> WebhookDelivery:
    return WebhookDelivery.objects.get(organisation=organisation, pk=delivery_id)


# Staff -------------------------------------------------------------------------------------------


def search_statistics(*, since: dt.date) -> list[dict[str, Any]]:
    """Daily counts of public searches since a date, newest first (anonymous: no one's searches are kept)."""
    rows = SearchCount.objects.filter(day__gte=since).order_by("-day", "channel", "kind", "outcome")
    return [dict(row) for row in rows.values("day", "channel", "kind", "outcome", "count")]
