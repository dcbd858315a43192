"""Endpoint URLs and signing secrets at rest: encrypted with Fernet, shown masked.

The key comes from the WEBHOOKS_KEY setting when set, else from SECRET_KEY;
SECRET_KEY_FALLBACKS still decrypt, so rotating SECRET_KEY loses nothing.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret


def _fernet_key(material: str) -> bytes:
    digest = hashlib.sha256(b"wgforum.webhooks:" + material.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def _fernet() -> MultiFernet:
    primary = getattr(settings, "WEBHOOKS_KEY", "") or settings.SECRET_KEY
    keys = [primary, settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    unique = list(dict.fromkeys(k for k in keys if k))
    return MultiFernet([Fernet(_fernet_key(k)) for k in unique])


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def new_secret() -> str:
    """Return a Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def mask_url(url: str) -> str:
    """Show where an endpoint points without what makes it a credential (path, key)."""
    parts = urlsplit(url)
    tail = url[-4:] if len(url) > 16 else ""
    return f"{parts.scheme}://{parts.hostname or ''}/…{tail}"[:120]
