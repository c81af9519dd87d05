"""Stripe settings: API base, keys, webhook secret, Stripe.js address and network limits.

Only `licensing.gateway` reads them. The defaults suit development, the demo and the tests, which run
against localstripe (a fake Stripe API server on loopback): the default keys are fake and work nowhere
else. Production reads every key from the environment and leaves STRIPE_API_BASE empty.
"""

from config.env import env

# Empty means Stripe's real API. Anything else is the address of a localstripe server, e.g.
# http://127.0.0.1:8420 (scripts/test.sh exports one for the test run).
STRIPE_API_BASE = env("STRIPE_API_BASE", default="").rstrip("/")
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="sk_test_local_only_works_against_localstripe")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="pk_test_local_only_works_against_localstripe")
# The signing secret of the webhook endpoint (Stripe shows it as whsec_...).
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="whsec_local_development_only")
# localstripe serves a mock Stripe.js; the page must load it instead of Stripe's when the API is fake.
STRIPE_JS_URL = f"{STRIPE_API_BASE}/js.stripe.com/v3/" if STRIPE_API_BASE else "https://js.stripe.com/v3/"
# Connect and read timeout of each request to Stripe, and how often a failed request is retried
# (Stripe's library retries only what is safe to retry, with the same idempotency key).
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=10.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
