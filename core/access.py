"""Default-deny access control: every URL declares who may use it, or nobody may.

Views declare a rule with `@access(RULE)` (functions) or an `access_rule` attribute (classes).
Views from third-party packages (allauth, the admin, set_language) get their rule from
THIRD_PARTY_RULES, keyed by URL name or namespace. The middleware refuses anything without a rule,
so a new URL that forgets to declare one is unreachable, and the permission-matrix test fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import ResolverMatch, reverse
from django.utils.translation import gettext as _
from django.views.defaults import permission_denied

from core.models import User
from core.roles import Role

F = TypeVar("F", bound=Callable[..., Any])


class AuthenticatedRequest(HttpRequest):
    """The request a view gets behind a signed-in rule: the middleware has already checked the user."""

    user: User


@dataclass(frozen=True)
class Rule:
    name: str
    login_required: bool = False
    mfa_required: bool = False
    permissions: frozenset[str] = field(default_factory=frozenset)
    group: str | None = None

    def permits(self, user: Any) -> bool:
        """Whether a signed-in user holds what this rule asks for (MFA is checked separately)."""
        if not self.login_required:
            return True
        if not user.is_authenticated or not user.is_active:
            return False
        if self.group is not None and not user.groups.filter(name=self.group).exists():
            return False
        return all(user.has_perm(permission) for permission in self.permissions)


PUBLIC = Rule("public")
AUTHENTICATED = Rule("authenticated", login_required=True)
EMPLOYER = Rule("employer", login_required=True, group=Role.EMPLOYER_USER.value)
CPD_PROVIDER = Rule("cpd provider", login_required=True, group=Role.CPD_PROVIDER_USER.value)


def staff(*permissions: str) -> Rule:
    """A staff page: signed in, with MFA used this session, holding every named permission."""
    perms = frozenset({"core.access_staff_area", *permissions})
    return Rule("staff:" + ",".join(sorted(perms)), login_required=True, mfa_required=True, permissions=perms)


COUNCIL_ADMIN = staff("core.edit_council_rules")


def access(rule: Rule) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        view.access_rule = rule  # type: ignore[attr-defined]
        return view

    return decorate


# Third-party views, by URL name (exact) or namespace. Anything not listed is denied.
_ALLAUTH_PUBLIC = {
    "account_login",
    "account_signup",
    "account_logout",
    "account_confirm_email",
    "account_email_verification_sent",
    "account_inactive",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "account_confirm_login_code",
    "mfa_authenticate",
    "set_language",
}
_ALLAUTH_SIGNED_IN = {
    "account_email",
    "account_change_password",
    "account_set_password",
    "account_reauthenticate",
    "mfa_reauthenticate",
    "mfa_index",
    "mfa_activate_totp",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
}
THIRD_PARTY_RULES: dict[str, Rule] = {
    **dict.fromkeys(_ALLAUTH_PUBLIC, PUBLIC),
    **dict.fromkeys(_ALLAUTH_SIGNED_IN, AUTHENTICATED),
    "namespace:admin": COUNCIL_ADMIN,
}


def rule_for(match: ResolverMatch) -> Rule | None:
    """The declared rule for a resolved URL, or None when it has none (and so is denied)."""
    func = match.func
    declared: Rule | None = getattr(func, "access_rule", None)
    if declared is None:
        declared = getattr(getattr(func, "view_class", None), "access_rule", None)
    if declared is None:
        declared = getattr(getattr(func, "cls", None), "access_rule", None)
    if declared is not None:
        return declared
    if match.url_name and match.url_name in THIRD_PARTY_RULES and not match.namespace:
        return THIRD_PARTY_RULES[match.url_name]
    for namespace in match.namespaces:
        if f"namespace:{namespace}" in THIRD_PARTY_RULES:
            return THIRD_PARTY_RULES[f"namespace:{namespace}"]
    return None


ACCESS_REFUSED_HEADER = "X-Access-Refused"


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return permission_denied(request, PermissionDenied(message))


def _refused(request: HttpRequest, rule_name: str, response: HttpResponse) -> HttpResponse:
    """Mark a refusal made here (not by the view), so logs and tests can tell the two apart."""
    response[ACCESS_REFUSED_HEADER] = rule_name
    return response


def session_used_mfa(request: HttpRequest) -> bool:
    from allauth.account.authentication import get_authentication_records
    from allauth.mfa.utils import is_mfa_enabled

    user = request.user
    if not is_mfa_enabled(user):
        return False
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, user))


class AccessRuleMiddleware:
    """Applies each URL's declared rule before its view runs. No rule, no entry."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        rule = rule_for(match) if match is not None else None
        if rule is None:
            return _refused(request, "undeclared", _forbidden(request, _("This page is not available.")))
        if not rule.login_required:
            return None
        if not request.user.is_authenticated:
            return _refused(request, rule.name, redirect_to_login(request.get_full_path(), reverse("account_login")))
        if not rule.permits(request.user):
            return _refused(request, rule.name, _forbidden(request, _("You do not have permission to open this page.")))
        if rule.mfa_required and not session_used_mfa(request):
            return _refused(request, rule.name, self._refuse_without_mfa(request))
        return None

    @staticmethod
    def _refuse_without_mfa(request: HttpRequest) -> HttpResponse:
        from allauth.mfa.utils import is_mfa_enabled

        if not is_mfa_enabled(request.user):
            messages.warning(request, _("Staff accounts must set up an authenticator app before using staff pages."))
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        # MFA is set up but this session did not use it: sign in again, this time with the code.
        logout(request)
        messages.warning(request, _("Please sign in again with your authentication code to open staff pages."))
        return redirect_to_login(request.get_full_path(), reverse("account_login"))
