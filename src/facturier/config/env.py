"""Reading the environment: the only source of settings, failing loudly on bad values.

Every reader accepts `NAME_FILE` as an alternative to `NAME` for secrets mounted as files
(Docker/Kubernetes secrets), and raises ImproperlyConfigured with the variable's name and
what was expected, so a typo stops the process at start instead of misbehaving later.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def raw(name: str, default: str | None = None) -> str | None:
    """NAME, else the content of the file named by NAME_FILE, else default."""
    value = os.environ.get(name)
    file_name = os.environ.get(f"{name}_FILE")
    if value is not None and file_name:
        raise ImproperlyConfigured(f"{name} and {name}_FILE are both set; set only one.")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as e:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {e.strerror}.") from e
    return value if value is not None else default


def string(name: str, default: str) -> str:
    value = raw(name, default)
    assert value is not None
    return value


def boolean(name: str, default: bool) -> bool:
    value = raw(name)
    if value is None:
        return default
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use true or false.")


def integer(name: str, default: int, *, minimum: int | None = None) -> int:
    value = raw(name)
    if value is None:
        return default
    try:
        n = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and n < minimum:
        raise ImproperlyConfigured(f"{name}={n} is below the minimum {minimum}.")
    return n


def csv(name: str, default: str) -> list[str]:
    return [part.strip() for part in string(name, default).split(",") if part.strip()]


def choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = string(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of: {', '.join(choices)}.")
    return value


def persistent_secret(name: str, path: Path, *, nbytes: int) -> str:
    """A secret from the environment, else one generated once and kept under the data directory.

    Local installs get a safe, stable secret without configuration; production sets the
    variable (or NAME_FILE) explicitly.
    """
    value = raw(name)
    if value:
        return value
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = base64.b64encode(secrets.token_bytes(nbytes)).decode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
    return value


def master_key(name: str, path: Path) -> bytes:
    """The 256-bit master key that wraps every organisation's data keys (base64 in the environment)."""
    text = persistent_secret(name, path, nbytes=32)
    try:
        key = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ImproperlyConfigured(f"{name} is not valid base64.") from None
    if len(key) != 32:
        raise ImproperlyConfigured(f"{name} must decode to 32 bytes (AES-256), not {len(key)}.")
    return key


def cache(url: str, *, table: str) -> dict:
    """A CACHES entry from a URL: empty or db:// for the database cache, redis:// or rediss:// for Redis."""
    scheme = urlsplit(url).scheme if url else "db"
    if url and scheme not in {"db", "redis", "rediss"}:
        raise ImproperlyConfigured(f"FACTURIER_CACHE_URL={url!r} must start with db://, redis:// or rediss://.")
    if scheme == "db":
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": table}
    return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}


def header_name(name: str) -> str:
    """An HTTP request header as Django's META key ("X-Forwarded-For" → "HTTP_X_FORWARDED_FOR"); "" when unset."""
    value = string(name, "").strip()
    if not value:
        return ""
    if not re.fullmatch(r"[A-Za-z0-9-]+", value):
        raise ImproperlyConfigured(f"{name}={value!r} is not an HTTP header name (e.g. X-Forwarded-For).")
    return "HTTP_" + value.upper().replace("-", "_")
