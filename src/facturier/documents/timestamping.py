"""Time stamps: the operator's built-in RFC 3161 authority, or the organisation's own TSA.

A fresh install must be able to time-stamp without any contract: the first use creates the
operator's TSA key and certificate under the data directory (encrypted with the master
key). The same authority answers `POST /tsa/` for anyone, and is called in-process by the
sealer so local sealing needs no HTTP round trip.
"""

from __future__ import annotations

import functools
import os
import secrets
import threading
from pathlib import Path

from asn1crypto import tsp
from django.conf import settings

from facturier.engine.pdf.certificates import SigningIdentity, load_pkcs12, make_self_signed
from facturier.engine.pdf.tsa import TimeStampAuthority
from facturier.secrets import open_secret, seal_secret

# Facturier's private arc for its TSA policy (under the "example" arc until one is registered).
POLICY_OID = "1.3.6.1.4.1.55555.1.1"
_PURPOSE = "operator-tsa"
_PASSWORD = "facturier-operator-tsa"  # the file is also encrypted with the master key
_lock = threading.Lock()


def _identity_file() -> Path:
    return Path(settings.DATA_DIR) / "tsa" / "operator-tsa.p12.sealed"


def operator_identity() -> SigningIdentity:
    """The operator's TSA identity, created on first use (10 years, EC P-256).

    Processes (and threads) that start together on a fresh data directory may all create one: each
    writes its own temporary file, the first one linked in place is the identity, and every one reads
    that file (a shared temporary name made the others fail; a rename would have let the last one win
    after the first had already signed with its own)."""
    path = _identity_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pkcs12 = make_self_signed("Facturier Time-Stamp Authority", "Facturier operator", days=3653,
                                  purpose="tsa", password=_PASSWORD)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
        tmp.write_bytes(seal_secret(pkcs12, purpose=_PURPOSE))
        try:
            os.link(tmp, path)  # atomic, and never over an identity already in place
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return load_pkcs12(open_secret(path.read_bytes(), purpose=_PURPOSE), _PASSWORD)


@functools.cache
def _authority_for(data_dir: str) -> TimeStampAuthority:
    return TimeStampAuthority(operator_identity(), POLICY_OID)


def operator_authority() -> TimeStampAuthority:
    """One authority per process (and per data directory, which tests change)."""
    with _lock:
        return _authority_for(str(settings.DATA_DIR))


def timestamper_for(organisation):
    """The pyHanko timestamper of the organisation's TSA when it configured one (never a private address),
    else of the built-in one. pyHanko is imported here, by the sealer, not by whoever imports this module
    for the authority (the archive, the importer)."""
    from pyhanko.sign.timestamps import TimeStamper

    from facturier.engine.pdf.tsa_client import TimeStampClient

    class BuiltinTimeStamper(TimeStamper):
        """pyHanko timestamper answered in-process by the operator's authority."""

        def __init__(self):
            super().__init__(include_nonce=True)

        async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
            return tsp.TimeStampResp.load(operator_authority().respond(req.dump()))

    if organisation.tsa_url:
        return TimeStampClient(organisation.tsa_url, timeout=15)
    return BuiltinTimeStamper()
