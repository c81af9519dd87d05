from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from core.access import session_used_mfa
from core.roles import Role
from core.selectors import council_languages


def council(request: HttpRequest) -> dict[str, Any]:
    current = getattr(request, "council", None)
    user = getattr(request, "user", None)
    is_staff_user = bool(user is not None and user.is_authenticated and user.has_perm("core.access_staff_area"))
    groups = set(user.groups.values_list("name", flat=True)) if user is not None and user.is_authenticated else set()
    return {
        "council": current,
        "council_languages": council_languages(council=current),
        "is_staff_user": is_staff_user,
        "staff_session_ready": is_staff_user and session_used_mfa(request),
        "is_cpd_provider": Role.CPD_PROVIDER_USER.value in groups,
        "is_employer": Role.EMPLOYER_USER.value in groups,
    }
