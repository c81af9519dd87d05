"""Optional error reporting to Sentry, on only when SENTRY_DSN is set (config/settings/production.py).

No personal data is sent by default (`send_default_pii=False`: no user ids, addresses, cookies or
request bodies); SENTRY_SEND_DEFAULT_PII=true changes that, and the council's privacy notice must then
say so. Errors are always reported; SENTRY_TRACES_SAMPLE_RATE (0 by default) samples performance traces.
"""

from __future__ import annotations

from typing import Any


def sentry_init(
    *,
    dsn: str,
    environment: str,
    release: str = "",
    traces_sample_rate: float = 0.0,
    send_default_pii: bool = False,
    **options: Any,
) -> bool:
    """Start the Sentry client with the Django and Celery integrations. False (and nothing done) with no DSN."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=send_default_pii,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        **options,
    )
    return True
