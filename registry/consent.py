"""The practitioner's own choices about their public register entry: the town or city where they work,
and whether the optional public fields (previous names, town of work) may be published.

Whether a field is then shown is portal.selectors.OptionalPublicFields's to say: the council's rules
first, then (where those rules ask for it) this consent. Only the practitioner gives or withdraws it;
nobody, staff included, can do it for them.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.exceptions import ApplicationError
from core.history import save_with_history
from core.models import User
from registry.models import Practitioner

WORK_TOWN_MAX_LENGTH = 100


@transaction.atomic
def practitioner_public_details_save(
    *,
    actor: User,
    practitioner: Practitioner,
    work_town: str,
    consents_to_publish_previous_names: bool,
    consents_to_publish_work_town: bool,
) -> Practitioner:
    """Save the practitioner's town of work and their two consents, with a history row and an audit event.

    Refused to anyone but the practitioner's own account. Saving the same answers again changes nothing."""
    locked = Practitioner.objects.select_for_update().get(pk=practitioner.pk)
    if locked.user_id is None or locked.user_id != actor.pk:
        raise ApplicationError(_("Only the practitioner can choose what the public register shows about them."))
    if locked.merged_into_id is not None:
        raise ApplicationError(_("This record was joined into another one; make your choices there."))
    town = " ".join(work_town.split())
    if len(town) > WORK_TOWN_MAX_LENGTH:
        raise ApplicationError(
            _("The town or city can be at most %(count)s characters.") % {"count": WORK_TOWN_MAX_LENGTH}
        )
    wanted = {
        "work_town": town,
        "consents_to_publish_previous_names": bool(consents_to_publish_previous_names),
        "consents_to_publish_work_town": bool(consents_to_publish_work_town),
    }
    before = {name: getattr(locked, name) for name in wanted}
    changed = [name for name, value in wanted.items() if before[name] != value]
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, wanted[name])
    save_with_history(locked, actor=actor, reason="public register choices", fields=changed)
    audit_record(
        actor=actor,
        action="practitioner.public_details_changed",
        obj=locked,
        reason="public register choices",
        before={name: before[name] for name in changed},
        after={name: wanted[name] for name in changed},
    )
    return locked
