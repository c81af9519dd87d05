"""What the rest of the register asks of conduct: may this person come back after a removal?

Registry calls `reapply_block` (settings.REGISTRY_REAPPLY_CHECK) before an application starts and
before a removed entry is restored, so a person removed by a panel can't return before the rule's
waiting period, whichever way they try.
"""

from __future__ import annotations

import datetime as dt

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from discipline.models import Sanction, SanctionKind
from registry.models import Practitioner


def reapply_block(practitioner: Practitioner, on_date: dt.date) -> str | None:
    """The reason the person may not apply or be restored yet, or None."""
    removal = (
        Sanction.objects.filter(
            register_entry__practitioner=practitioner,
            kind=SanctionKind.REMOVAL,
            status=Sanction.Status.IN_FORCE,
            reapply_date__gt=on_date,
        )
        .order_by("-reapply_date")
        .first()
    )
    if removal is None:
        return None
    return _("You were removed from the register by a fitness to practise panel and may apply again from %(date)s.") % {
        "date": date_format(removal.reapply_date) if removal.reapply_date else ""
    }
