"""django-allauth customisation. Only adapters: no forked views."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool(settings.ACCOUNT_ALLOW_REGISTRATION)

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        # Remember the language the person signed up in, for the notifications we send them.
        user.preferred_language = translation.get_language() or settings.LANGUAGE_CODE
        return super().save_user(request, user, form, commit=commit)


class MFAAdapter(DefaultMFAAdapter):
    def get_totp_label(self, user: Any) -> str:
        return str(user.email)
