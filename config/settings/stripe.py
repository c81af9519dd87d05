"""Stripe settings (API base, keys, webhook secret). Filled in by the payments work."""
