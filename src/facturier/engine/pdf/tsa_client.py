"""The RFC 3161 client for a configured TSA: a pyHanko `TimeStamper` (see `tsa` for what it checks).

A module of its own so that pyHanko (and aiohttp, which its time-stamp package loads) is imported only
by processes that talk to an outside authority or seal PDFs, not by every one that verifies a token or
answers with the built-in authority (an importer: 16 MB less).
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import threading

from asn1crypto import cms, tsp
from cryptography import x509
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.common_utils import get_nonce

from facturier.engine import net
from facturier.engine.pdf.tsa import (
    _NOT_RFC3161,
    _REFUSED,
    _UNREACHABLE,
    CONTENT_TYPE_QUERY,
    CONTENT_TYPE_REPLY,
    HASH_ALGORITHMS,
    MAX_RESPONSE_BYTES,
    TimeStampRefused,
    TimeStampUnavailable,
    _invalid,
    _url_parts,
    check_url,
    parse_response,
    verify_token,
)

__all__ = ["TimeStampClient"]


class TimeStampClient(TimeStamper):
    """An RFC 3161 client over HTTP(S), usable as pyHanko's timestamper."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        hash_algo: str = "sha256",
        allow_private: bool = False,
        tsa_certificate: x509.Certificate | None = None,
        headers: dict[str, str] | None = None,
    ):
        if hash_algo not in HASH_ALGORITHMS:
            raise ValueError(f"hash_algo must be one of {HASH_ALGORITHMS}")
        self._parts, _port = _url_parts(url)  # the form now, the addresses when a connection opens
        super().__init__(include_nonce=True)
        self.url = url
        self.timeout = timeout
        self.hash_algo = hash_algo
        self.allow_private = allow_private
        self.tsa_certificate = tsa_certificate
        self.headers = dict(headers or {})
        # Keep-alive: one TCP connection for a batch, to an address checked when it was opened.
        self._connection: net.PinnedHTTPConnection | None = None
        self._lock = threading.Lock()

    def timestamp(self, data: bytes) -> bytes:
        """A verified token (DER) over `data`, hashed with `hash_algo`."""
        digest = hashlib.new(self.hash_algo, data).digest()
        return asyncio.run(self.async_timestamp(digest, self.hash_algo)).dump()

    async def async_timestamp(self, message_digest, md_algorithm) -> cms.ContentInfo:
        nonce, request = self.request_cms(message_digest, md_algorithm)
        status, token_der = await asyncio.to_thread(self._exchange, request.dump())
        if status["status"].native not in ("granted", "granted_with_mods"):
            texts = "; ".join(status["status_string"].native or [])
            failures = ", ".join(sorted(status["fail_info"].native or []))
            raise TimeStampRefused(_REFUSED, detail=f"{status['status'].native}: {texts} [{failures}]")
        if token_der is None:
            raise _invalid("granted without a token")
        verify_token(token_der, message_digest=message_digest, nonce=nonce, tsa_certificate=self.tsa_certificate)
        return cms.ContentInfo.load(token_der)

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """pyHanko's hook; our own `async_timestamp` does not go through it."""
        status, token_der = await asyncio.to_thread(self._exchange, req.dump())
        fields = {"status": status}
        if token_der is not None:
            fields["time_stamp_token"] = cms.ContentInfo.load(token_der)
        return tsp.TimeStampResp(fields)

    def request_cms(self, message_digest, md_algorithm):
        nonce = get_nonce()
        request = tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": {"hash_algorithm": {"algorithm": md_algorithm}, "hashed_message": message_digest},
                "nonce": nonce,
                "cert_req": True,
            }
        )
        return nonce, request

    def _exchange(self, body: bytes) -> tuple[tsp.PKIStatusInfo, bytes | None]:
        headers = {**self.headers, "Content-Type": CONTENT_TYPE_QUERY, "Accept": CONTENT_TYPE_REPLY}
        path = (self._parts.path or "/") + (f"?{self._parts.query}" if self._parts.query else "")
        with self._lock:
            for attempt in (1, 2):  # a kept-alive connection the server has closed is opened once more
                fresh = self._connection is None
                if fresh:
                    resolved = check_url(self.url, allow_private=self.allow_private)
                    kind = net.PinnedHTTPSConnection if self._parts.scheme == "https" else net.PinnedHTTPConnection
                    self._connection = kind(resolved, self.timeout)
                connection = self._connection
                try:
                    connection.request("POST", path, body=body, headers=headers)
                    response = connection.getresponse()
                    content = response.read(MAX_RESPONSE_BYTES + 1)
                    status_code = response.status
                    content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
                    if len(content) > MAX_RESPONSE_BYTES or response.will_close:
                        self._drop_connection()
                    break
                except (OSError, http.client.HTTPException) as e:
                    self._drop_connection()
                    if fresh or attempt == 2:
                        raise TimeStampUnavailable(_UNREACHABLE, detail=f"{self.url}: {e}")
        if status_code != 200 or content_type != CONTENT_TYPE_REPLY:
            raise TimeStampUnavailable(_NOT_RFC3161, detail=f"HTTP {status_code}, {content_type or 'no type'}")
        if len(content) > MAX_RESPONSE_BYTES:
            raise TimeStampUnavailable(_NOT_RFC3161, detail="response too large")
        try:
            return parse_response(content)
        except ValueError as e:
            raise TimeStampUnavailable(_NOT_RFC3161, detail=f"not a TimeStampResp: {e}")

    def _drop_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
