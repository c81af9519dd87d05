"""Change alerts for employers, driven by the audit events.

Every path that changes a register entry (staff, batch jobs, sanctions) writes an audit event in the
same transaction, so reading the events is the one place that sees them all. `alerts_collect` reads
the events after a cursor, keeps those about rostered practitioners, and makes one ChangeAlert per
organisation watching them. Immediate emails and webhooks go out at once; digests once a day.

The chain of audit events is appended under a lock held until commit, so ids become visible in
order and the cursor never skips an event that commits late.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from core.models import AuditEvent, User
from core.services import notification_queue
from discipline.models import Publication
from licensing.models import Licence
from portal import webhooks
from portal.models import (
    AlertCursor,
    AlertFrequency,
    AlertKind,
    ChangeAlert,
    EmployerMember,
    EmployerOrganisation,
    RosterEntry,
    WebhookDelivery,
)
from registry.lifecycles import ENTRY_PRACTISING_STATUSES
from registry.models import RegisterEntry

WATCHED = {
    "register_entry.status_changed": AlertKind.STATUS,
    "licence.issued": AlertKind.LICENCE,
    "publication.published": AlertKind.NOTICE,
    "publication.taken_down": AlertKind.NOTICE,
}
BATCH = 5000


def _entry_ids(events: list[AuditEvent]) -> dict[int, int]:
    """The register entry each watched event is about, by event id."""
    models = ContentType.objects.get_for_models(RegisterEntry, Licence, Publication)
    by_type: dict[int, list[AuditEvent]] = defaultdict(list)
    for event in events:
        by_type[event.object_type_id].append(event)
    found: dict[int, int] = {}
    for event in by_type.get(models[RegisterEntry].pk, []):
        found[event.pk] = int(event.object_id)
    licences = by_type.get(models[Licence].pk, [])
    if licences:
        owners = dict(
            Licence.objects.filter(pk__in=[int(e.object_id) for e in licences]).values_list("pk", "register_entry_id")
        )
        found.update({e.pk: owners[int(e.object_id)] for e in licences if int(e.object_id) in owners})
    for event in by_type.get(models[Publication].pk, []):
        entry_id = event.after.get("register_entry")
        if entry_id is not None:
            found[event.pk] = int(entry_id)
    return found


def alerts_collect() -> list[int]:
    """Turn every new audit event into alerts, a batch at a time. Returns the new alerts' ids."""
    ids: list[int] = []
    while True:
        batch, more = _collect_batch()
        ids.extend(batch)
        if not more:
            return ids


def alerts_cursor_to_now() -> None:
    """Start alerts from the next event (an organisation set up on an existing register, or the demo)."""
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    AlertCursor.objects.update_or_create(name="audit", defaults={"last_event_id": last})


def _collect_batch() -> tuple[list[int], bool]:
    """One batch of events after the cursor, in its own transaction. One job at a time (the cursor's lock)."""
    with transaction.atomic():
        cursor, _created = AlertCursor.objects.select_for_update().get_or_create(name="audit")
        events = list(
            AuditEvent.objects.filter(pk__gt=cursor.last_event_id)
            .order_by("pk")
            .only("pk", "action", "object_type_id", "object_id", "before", "after", "occurred_at")[:BATCH]
        )
        if not events:
            return [], False
        cursor.last_event_id = events[-1].pk
        cursor.save(update_fields=["last_event_id"])
        watched = [event for event in events if event.action in WATCHED]
        entry_of = _entry_ids(watched)
        # Who watched each entry, and since when: a change made before someone was rostered is not theirs
        # to hear of, even when the job reads it late (its first run, or after an outage).
        watchers: dict[int, list[tuple[int, Any]]] = defaultdict(list)
        for organisation_id, entry_id, since in RosterEntry.objects.filter(
            register_entry_id__in=set(entry_of.values()), organisation__is_active=True
        ).values_list("organisation_id", "register_entry_id", "created_at"):
            watchers[entry_id].append((organisation_id, since))
        new = [
            ChangeAlert(
                organisation_id=organisation_id,
                register_entry_id=entry_of[event.pk],
                audit_event_id=event.pk,
                kind=WATCHED[event.action],
                before=event.before,
                after={**event.after, "action": event.action},
                occurred_at=event.occurred_at,
            )
            for event in watched
            if event.pk in entry_of
            for organisation_id, since in watchers.get(entry_of[event.pk], [])
            if event.occurred_at >= since
        ]
        # Events read again (a cursor wound back by hand) make no second alert, and so no second webhook.
        seen = set(
            ChangeAlert.objects.filter(audit_event_id__in={alert.audit_event_id for alert in new}).values_list(
                "organisation_id", "audit_event_id"
            )
        )
        new = [alert for alert in new if (alert.organisation_id, alert.audit_event_id) not in seen]
        ChangeAlert.objects.bulk_create(new, batch_size=2000)
        ids = [alert.pk for alert in new]
        _webhooks_queue(ids)
    return ids, len(events) == BATCH


def _alert_message(alert: ChangeAlert) -> dict[str, Any]:
    entry = alert.register_entry
    status = alert.after.get("status", entry.status) if alert.kind == AlertKind.STATUS else entry.status
    return {
        "type": "practitioner.changed",
        "change": alert.kind.lower(),
        "action": alert.after.get("action", ""),
        "occurred_at": alert.occurred_at.isoformat(),
        "registration_number": entry.registration_number,
        "given_names": entry.practitioner.given_names,
        "family_name": entry.practitioner.family_name,
        # A status change says the status it left (two read together each say their own); other changes
        # (a licence, a notice) say the entry's status as it is.
        "status": status,
        "may_practise": status in ENTRY_PRACTISING_STATUSES,
        "before": {k: v for k, v in alert.before.items() if k in ("status", "conditions")},
        "after": {k: v for k, v in alert.after.items() if k in ("status", "conditions", "valid_to", "kind")},
    }


def _webhooks_queue(alert_ids: list[int]) -> None:
    alerts = ChangeAlert.objects.filter(pk__in=alert_ids).exclude(organisation__webhook_url="")
    alerts = alerts.select_related("organisation", "register_entry__practitioner")
    deliveries = []
    for alert in alerts:
        delivery = WebhookDelivery(organisation=alert.organisation, alert=alert, url=alert.organisation.webhook_url)
        delivery.body = json.dumps(
            {"id": str(delivery.event_id), "created": timezone.now().isoformat(), "data": _alert_message(alert)},
            ensure_ascii=False,
        )
        delivery.next_attempt_at = timezone.now()
        deliveries.append(delivery)
    WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000)
    webhooks.dispatch_after_commit([delivery.pk for delivery in deliveries])


def alerts_email(*, frequency: str) -> int:
    """Email each organisation on `frequency` its alerts not yet emailed, one message per user. Returns emails."""
    sent = 0
    organisations = EmployerOrganisation.objects.filter(alert_frequency=frequency, is_active=True)
    for organisation in organisations.filter(alerts__emailed_at__isnull=True).distinct():
        with transaction.atomic():
            alerts = list(
                ChangeAlert.objects.select_for_update(of=("self",), skip_locked=True)
                .filter(organisation=organisation, emailed_at__isnull=True)
                .select_related("register_entry__practitioner", "register_entry__category")
                .order_by("occurred_at", "id")
            )
            if not alerts:
                continue
            users = User.objects.filter(
                pk__in=EmployerMember.objects.filter(organisation=organisation).values("user_id"), is_active=True
            )
            for user in users:
                notification_queue(
                    recipient=user,
                    kind="employer_alerts",
                    context={
                        "organisation": organisation,
                        "alerts": alerts,
                        "digest": frequency == AlertFrequency.DAILY,
                    },
                )
                sent += 1
            ChangeAlert.objects.filter(pk__in=[alert.pk for alert in alerts]).update(emailed_at=timezone.now())
    return sent


def alerts_run() -> dict[str, int]:
    """The minute job: collect new alerts, then email those who want them at once."""
    created = alerts_collect()
    emailed = alerts_email(frequency=AlertFrequency.IMMEDIATE)
    return {"alerts": len(created), "emails": emailed}
