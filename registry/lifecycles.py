"""The allowed status moves, in one screen. Services consult these tables; nothing else sets a status."""

from __future__ import annotations

from registry.models import Application, RegisterEntry

AppStatus = Application.Status
EntryStatus = RegisterEntry.Status

APPLICATION_OPEN_STATUSES = frozenset(
    {AppStatus.DRAFT, AppStatus.SUBMITTED, AppStatus.IN_REVIEW, AppStatus.INFO_REQUESTED}
)

APPLICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    AppStatus.DRAFT: frozenset({AppStatus.SUBMITTED, AppStatus.WITHDRAWN}),
    AppStatus.SUBMITTED: frozenset({AppStatus.IN_REVIEW, AppStatus.WITHDRAWN}),
    AppStatus.IN_REVIEW: frozenset(
        {AppStatus.INFO_REQUESTED, AppStatus.APPROVED, AppStatus.REFUSED, AppStatus.WITHDRAWN}
    ),
    AppStatus.INFO_REQUESTED: frozenset({AppStatus.IN_REVIEW, AppStatus.WITHDRAWN}),
    AppStatus.APPROVED: frozenset(),
    AppStatus.REFUSED: frozenset(),
    AppStatus.WITHDRAWN: frozenset(),
}

REGISTER_ENTRY_TRANSITIONS: dict[str, frozenset[str]] = {
    EntryStatus.REGISTERED: frozenset(
        {
            EntryStatus.REGISTERED_WITH_CONDITIONS,
            EntryStatus.SUSPENDED,
            EntryStatus.LAPSED,
            EntryStatus.REMOVED,
            EntryStatus.VOLUNTARILY_REMOVED,
            EntryStatus.DECEASED,
        }
    ),
    EntryStatus.REGISTERED_WITH_CONDITIONS: frozenset(
        {
            EntryStatus.REGISTERED,
            EntryStatus.SUSPENDED,
            EntryStatus.LAPSED,
            EntryStatus.REMOVED,
            EntryStatus.VOLUNTARILY_REMOVED,
            EntryStatus.DECEASED,
        }
    ),
    EntryStatus.SUSPENDED: frozenset(
        {EntryStatus.REGISTERED, EntryStatus.REGISTERED_WITH_CONDITIONS, EntryStatus.REMOVED, EntryStatus.DECEASED}
    ),
    EntryStatus.LAPSED: frozenset({EntryStatus.REGISTERED, EntryStatus.REMOVED, EntryStatus.DECEASED}),
    EntryStatus.REMOVED: frozenset({EntryStatus.REGISTERED, EntryStatus.DECEASED}),
    EntryStatus.VOLUNTARILY_REMOVED: frozenset({EntryStatus.REGISTERED, EntryStatus.DECEASED}),
    EntryStatus.DECEASED: frozenset(),
}

# Statuses under which a person may practise; the public register shows them as "may practise".
ENTRY_PRACTISING_STATUSES = frozenset({EntryStatus.REGISTERED, EntryStatus.REGISTERED_WITH_CONDITIONS})
