"""Signing settings (Ed25519 key for certificate QR payloads). Filled in by the certificates work."""
