"""The gunicorn settings of bench/verification.py: bench.settings, made like production where it counts.

- the bare baseline view is added to the URLconf (bench/urls_bare.py);
- the database as config/settings/production.py has it: ATOMIC_REQUESTS, persistent connections
  (CONN_MAX_AGE 60 with health checks), not bench.settings' new connection per request;
- the cache (which holds the API's rate-limit counters) is Redis, as in production, when
  BENCH_VERIFY_CACHE_URL names one (bench/verification.py sets it when Redis answers), else local memory.
"""

from bench.settings import *  # noqa: F403
from config.env import env

ROOT_URLCONF = "bench.urls_bare"
DATABASES["default"]["ATOMIC_REQUESTS"] = True  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
if env("BENCH_VERIFY_CACHE_URL", default=""):
    CACHES = {"default": {**env.cache("BENCH_VERIFY_CACHE_URL"), "KEY_PREFIX": "bench-verify"}}
