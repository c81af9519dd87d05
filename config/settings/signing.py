"""Signing settings: the council's Ed25519 key for signed QR payloads (licensing/signing.py).

COUNCIL_SIGNING_KEY is the raw 32-byte Ed25519 private key (seed), base64url-encoded (padding
optional). Generate one with:

    python -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).rstrip(b'=').decode())"

Anyone holding it can forge certificates, so it lives only in the environment or a secret store.
"""

from config.env import env

# DEVELOPMENT ONLY. This is the base64url encoding of the 32 ASCII bytes
# b"DEV-ONLY-NOT-FOR-PRODUCTION-KEY!": it is public (it is in the source), so anything it signs
# can be forged. The system check licensing.E001 refuses it whenever DEBUG is False, so production
# (`manage.py check`, `migrate`, `check --deploy`) fails until COUNCIL_SIGNING_KEY is set.
DEV_ONLY_COUNCIL_SIGNING_KEY = "REVWLU9OTFktTk9ULUZPUi1QUk9EVUNUSU9OLUtFWSE"

COUNCIL_SIGNING_KEY = env("COUNCIL_SIGNING_KEY", default=DEV_ONLY_COUNCIL_SIGNING_KEY)

# Personal identifiers (national ID numbers) are stored encrypted (core.crypto). A comma-separated
# list of Fernet keys: the first encrypts, every one decrypts, so a key is rotated by putting a new
# one first and running `manage.py encryption_rotate` before the old one is dropped. Generate with:
#
#     python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
#
# DEVELOPMENT ONLY, like the signing key above: base64url of b"DEV-ONLY-NOT-A-PRODUCTION-KEY!!!".
# The system check core.E010 refuses it whenever DEBUG is False.
DEV_ONLY_FIELD_ENCRYPTION_KEY = "REVWLU9OTFktTk9ULUEtUFJPRFVDVElPTi1LRVkhISE="
COUNCIL_FIELD_ENCRYPTION_KEYS = env.list("COUNCIL_FIELD_ENCRYPTION_KEYS", default=[DEV_ONLY_FIELD_ENCRYPTION_KEY])
