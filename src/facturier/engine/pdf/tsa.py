"""RFC 3161 time stamps: a client for a configured TSA, and the operator's own authority.

`TimeStampClient` (in `tsa_client`, named here too: it is a pyHanko class, and pyHanko is loaded only
when a client is made) is the pyHanko `TimeStamper` the sealer uses for PAdES B-T: it posts a
TimeStampReq over HTTP(S) and checks what comes back — status, nonce, message imprint, and
the token's signature by a certificate allowed to time-stamp — before the token goes into a
signature. Its URL is configured by people, so it connects only to public addresses, checked
once per connection and connected to as checked (`engine.net`; a configured URL must not reach
the operator's internal network) unless told `allow_private=True` (tests, and the built-in
authority on loopback). No environment proxy is used: a proxy would resolve the name again.

`TimeStampAuthority` is the responder of the built-in TSA: bytes of a TimeStampReq in,
bytes of a TimeStampResp out; the web view only translates HTTP. `serve` runs it on
http.server for tests and local use.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from facturier.engine import net
from facturier.engine.errors import EngineError, Message
from facturier.engine.pdf.certificates import SigningIdentity, cms_signature_algorithm, raw_sign

CONTENT_TYPE_QUERY = "application/timestamp-query"
CONTENT_TYPE_REPLY = "application/timestamp-reply"
MAX_REQUEST_BYTES = 16 * 1024
"""A TimeStampReq is a few hundred bytes; anything much larger is refused unread."""
MAX_RESPONSE_BYTES = 1024 * 1024
HASH_ALGORITHMS = ("sha256", "sha384", "sha512")
"""Imprint algorithms the client sends and the authority accepts (SHA-1 is refused)."""
_DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}
_CRYPTOGRAPHY_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class TimeStampError(EngineError):
    """A time stamp could not be obtained or cannot be trusted."""


class ForbiddenTimeStampUrl(TimeStampError):
    """The TSA URL is malformed or points into a private network."""


class TimeStampUnavailable(TimeStampError):
    """The TSA could not be reached or did not answer in RFC 3161."""


class TimeStampRefused(TimeStampError):
    """The TSA answered with a status other than granted."""


class InvalidTimeStamp(TimeStampError):
    """The token does not match the request or its signature does not verify."""


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What a verified time-stamp token asserts."""

    gen_time: dt.datetime
    """The time the TSA vouches for (UTC)."""
    serial: int
    policy: str
    """The TSA policy OID under which the token was issued."""
    hash_algorithm: str
    hashed_message: bytes
    nonce: int | None
    accuracy_seconds: float | None
    tsa_certificate: x509.Certificate


# --- Verification --------------------------------------------------------------------------------


def verify_token(
    token: cms.ContentInfo | bytes,
    *,
    message_digest: bytes | None = None,
    data: bytes | None = None,
    nonce: int | None = None,
    tsa_certificate: x509.Certificate | None = None,
) -> TokenInfo:
    """Check a TimeStampToken: structure, imprint, nonce, signer and signature.

    `message_digest` (or `data`, hashed with the token's algorithm) must be the imprint;
    `nonce`, when given, must be echoed; `tsa_certificate`, when given, must be the signer.
    The signer must carry the timeStamping extended key usage. Trusting the signer's
    certificate chain is the caller's business (pyHanko's validator does it for signatures).
    Raises InvalidTimeStamp.
    """
    try:
        # A fresh parse, and the raw bytes taken before any field is read: asn1crypto marks
        # parsed algorithm identifiers as changed when read, and would then re-encode (and
        # possibly alter) the certificates and signed attributes we verify.
        token = cms.ContentInfo.load(bytes(token) if isinstance(token, bytes | bytearray) else token.dump())
        signed_attrs_der = token["content"]["signer_infos"][0]["signed_attrs"].dump()
        certificates_der = [c.dump() for c in token["content"]["certificates"] or ()]
        if token["content_type"].native != "signed_data":
            raise _invalid("the token is not CMS SignedData")
        signed_data = token["content"]
        encap = signed_data["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise _invalid("the SignedData does not hold a TSTInfo")
        tst_info_der = encap["content"].contents
        tst_info = tsp.TSTInfo.load(tst_info_der)
        signer_infos = signed_data["signer_infos"]
        if len(signer_infos) != 1:
            raise _invalid("a token has exactly one signer")
        signer_info = signer_infos[0]
        choices = map(cms.CertificateChoices.load, certificates_der)
        certificates = [c.chosen if c.name == "certificate" else None for c in choices]
        imprint = tst_info["message_imprint"]
        hash_algorithm = imprint["hash_algorithm"]["algorithm"].native
        hashed_message = imprint["hashed_message"].native
        info_nonce = tst_info["nonce"].native
        accuracy = tst_info["accuracy"]
        accuracy_seconds = None
        if accuracy.native is not None:
            values = accuracy.native
            accuracy_seconds = (
                (values.get("seconds") or 0)
                + (values.get("millis") or 0) / 1000
                + (values.get("micros") or 0) / 1_000_000
            )
        gen_time = tst_info["gen_time"].native
        serial = tst_info["serial_number"].native
        policy = tst_info["policy"].dotted
        signed_attrs = signer_info["signed_attrs"]
        digest_algorithm = signer_info["digest_algorithm"]["algorithm"].native
        signature = signer_info["signature"].native
        signature_algorithm = signer_info["signature_algorithm"]
        sid = signer_info["sid"]
    except (ValueError, TypeError, KeyError, IndexError) as e:
        raise _invalid(f"malformed token: {e}")

    if message_digest is None and data is not None:
        if hash_algorithm not in _CRYPTOGRAPHY_HASHES:
            raise _invalid(f"unsupported imprint algorithm {hash_algorithm}")
        message_digest = hashlib.new(hash_algorithm, data).digest()
    if message_digest is not None and hashed_message != message_digest:
        raise _invalid("the token's message imprint is not the digest of the stamped data")
    if nonce is not None and info_nonce != nonce:
        raise _invalid(f"the TSA did not echo the nonce (sent {nonce}, got {info_nonce})")

    signer = _find_signer(certificates, sid)
    if signer is None:
        raise _invalid("the token does not carry its signer's certificate")
    signer_der = certificates_der[signer]
    if tsa_certificate is not None and signer_der != tsa_certificate.public_bytes(serialization.Encoding.DER):
        raise _invalid("the token is signed by another certificate than the TSA's")
    certificate = x509.load_der_x509_certificate(signer_der)
    try:
        eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        eku = []
    if ExtendedKeyUsageOID.TIME_STAMPING not in eku:
        raise _invalid("the signer's certificate is not allowed to time-stamp (no timeStamping usage)")
    if not certificate.not_valid_before_utc <= gen_time <= certificate.not_valid_after_utc:
        raise _invalid("the token's time is outside its signer's certificate validity")

    if digest_algorithm not in _CRYPTOGRAPHY_HASHES:
        raise _invalid(f"unsupported digest algorithm {digest_algorithm}")
    content_digest = hashlib.new(digest_algorithm, tst_info_der).digest()
    if not signed_attrs.native:
        raise _invalid("the token has no signed attributes")
    attrs = {a["type"].native: a["values"][0] for a in signed_attrs}
    if attrs.get("content_type") is None or attrs["content_type"].native != "tst_info":
        raise _invalid("the signed content-type attribute is not TSTInfo")
    if attrs.get("message_digest") is None or attrs["message_digest"].native != content_digest:
        raise _invalid("the signed message digest does not match the TSTInfo")
    if "signing_certificate_v2" not in attrs and "signing_certificate" not in attrs:
        raise _invalid("the token has no ESS signing-certificate attribute")
    # Signed attributes are signed as a SET OF (tag 0x31), not with their [0] implicit tag.
    to_verify = b"\x31" + signed_attrs_der[1:]
    _verify_signature(certificate.public_key(), signature, to_verify, signature_algorithm, digest_algorithm)
    return TokenInfo(
        gen_time=gen_time.astimezone(dt.UTC),
        serial=serial,
        policy=policy,
        hash_algorithm=hash_algorithm,
        hashed_message=hashed_message,
        nonce=info_nonce,
        accuracy_seconds=accuracy_seconds,
        tsa_certificate=certificate,
    )


def _find_signer(certificates: list[asn1_x509.Certificate | None], sid: cms.SignerIdentifier) -> int | None:
    """Index of the signer's certificate in `certificates`."""
    chosen = sid.chosen
    for index, certificate in enumerate(certificates):
        if certificate is None:
            continue
        if sid.name == "issuer_and_serial_number":
            if certificate.issuer == chosen["issuer"] and certificate.serial_number == chosen["serial_number"].native:
                return index
        elif certificate.key_identifier == chosen.native:
            return index
    return None


def _verify_signature(public_key, signature: bytes, data: bytes, algorithm: algos.SignedDigestAlgorithm, digest: str):
    hash_ = _CRYPTOGRAPHY_HASHES[digest]()
    try:
        mechanism = algorithm.signature_algo
        if mechanism == "rsassa_pkcs1v15" and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), hash_)
        elif mechanism == "rsassa_pss" and isinstance(public_key, rsa.RSAPublicKey):
            params = algorithm["parameters"]
            salt = params["salt_length"].native
            public_key.verify(signature, data, padding.PSS(padding.MGF1(hash_), salt), hash_)
        elif mechanism == "ecdsa" and isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(hash_))
        elif mechanism == "ed25519" and isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(signature, data)
        else:
            raise _invalid(f"signature algorithm {mechanism} does not fit the signer's key")
    except InvalidSignature:
        raise _invalid("the token's signature does not verify")
    except ValueError as e:
        raise _invalid(f"unreadable signature algorithm: {e}")


def _invalid(detail: str) -> InvalidTimeStamp:
    return InvalidTimeStamp(_INVALID, detail=detail)


def parse_response(der: bytes) -> tuple[tsp.PKIStatusInfo, bytes | None]:
    """The status and the token's DER (None when absent) of a TimeStampResp.

    asn1crypto requires a timeStampToken that RFC 3161 leaves out of rejections, so the
    outer SEQUENCE is read generically. ValueError for anything else than a TimeStampResp.
    """
    try:
        outer = core.Sequence.load(der, strict=True)
        if not 1 <= len(outer) <= 2:
            raise ValueError("a TimeStampResp has one or two fields")
        status = tsp.PKIStatusInfo.load(outer[0].dump())
        status["status"].native  # noqa: B018 — fail here on what is not a status
        return status, outer[1].dump() if len(outer) == 2 else None
    except (TypeError, KeyError, IndexError) as e:
        raise ValueError(str(e))


# --- Client --------------------------------------------------------------------------------------


def check_url(url: str, *, allow_private: bool = False) -> net.Resolved:
    """Refuse a TSA URL that is not http(s) or whose host resolves to a non-public address.

    The form is checked when the client is made; the host is resolved and checked when a
    connection opens, by the platform's one rule (`engine.net`), and the request goes to the
    address checked (redirects are not followed), so a name that later resolves to a private
    address is refused then. Returns the checked addresses. Raises ForbiddenTimeStampUrl
    (TimeStampUnavailable when the name does not resolve).
    """
    parts, port = _url_parts(url)
    try:
        return net.resolve_public(parts.hostname, port, allow_private=allow_private)
    except net.HostNotFound as e:
        raise TimeStampUnavailable(_UNREACHABLE, detail=e.detail)
    except net.HostRefused as e:
        raise ForbiddenTimeStampUrl(_PRIVATE_URL, detail=e.detail)


def _url_parts(url: str) -> tuple[urllib.parse.SplitResult, int]:
    """The URL's parts and port, or ForbiddenTimeStampUrl when it is not a plain http(s) URL."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ForbiddenTimeStampUrl(_BAD_URL, detail=url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ForbiddenTimeStampUrl(_BAD_URL, detail=url)
    if parts.username or parts.password:
        raise ForbiddenTimeStampUrl(_BAD_URL, detail="credentials in the URL")
    return parts, port


# --- Responder -----------------------------------------------------------------------------------


class TimeStampAuthority:
    """The built-in TSA: signs RFC 3161 tokens with the operator's key.

    The identity's certificate must carry extendedKeyUsage timeStamping (critical); see
    `make_self_signed(..., purpose="tsa")`. Tokens say genTime to the second with an
    accuracy of `accuracy_seconds`, carry a 128-bit random serial number, echo the nonce,
    and are signed with SHA-256 and an ESS signing-certificate-v2 attribute (RFC 5816).
    """

    def __init__(
        self,
        identity: SigningIdentity,
        policy_oid: str,
        *,
        accuracy_seconds: int = 1,
        clock: Callable[[], dt.datetime] | None = None,
    ):
        try:
            eku = identity.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
        except x509.ExtensionNotFound:
            eku = None
        if eku is None or not eku.critical or list(eku.value) != [ExtendedKeyUsageOID.TIME_STAMPING]:
            raise ValueError("a TSA certificate needs a critical extendedKeyUsage of exactly timeStamping")
        self.identity = identity
        self.policy = core.ObjectIdentifier(policy_oid)
        self.accuracy_seconds = accuracy_seconds
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        # Kept as DER and parsed afresh for each token: asn1crypto re-encodes a parsed value
        # once it is placed in a new structure, which costs more than all the rest.
        certificate = asn1_x509.Certificate.load(identity.certificate.public_bytes(serialization.Encoding.DER))
        self._certificates_der = [certificate.dump()] + [
            c.public_bytes(serialization.Encoding.DER) for c in identity.chain
        ]
        self._signing_certificate_der = as_signing_certificate_v2(certificate, "sha256").dump()
        self._tsa_name_der = asn1_x509.GeneralName(name="directory_name", value=certificate.subject).dump()
        self._issuer_der = certificate.issuer.dump()
        self._serial = certificate.serial_number
        self._signature_algorithm = cms_signature_algorithm(identity.private_key, "sha256")
        # The parts of every token's envelope that never change, encoded once by asn1crypto.
        digest_algorithm = algos.DigestAlgorithm({"algorithm": "sha256"}).dump()
        self._digest_algorithms = cms.DigestAlgorithms([{"algorithm": "sha256"}]).dump()
        self._signature_algorithm_der = algos.SignedDigestAlgorithm({"algorithm": self._signature_algorithm}).dump()
        sid = cms.SignerIdentifier({"issuer_and_serial_number": {"issuer": asn1_x509.Name.load(self._issuer_der),
                                                                 "serial_number": self._serial}}).dump()
        self._signer_head = core.Integer(1).dump() + sid + digest_algorithm

    def respond(self, request_der: bytes) -> bytes:
        """The DER TimeStampResp answering `request_der`: granted, or a rejection saying why."""
        if len(request_der) > MAX_REQUEST_BYTES:
            return _rejection("bad_data_format", "request too large")
        try:
            request = tsp.TimeStampReq.load(request_der)
            request.native  # noqa: B018 — parse everything now, to reject malformed input here
            version = request["version"].native
            imprint = request["message_imprint"]
            hash_algorithm = imprint["hash_algorithm"]["algorithm"].native
            hashed_message = imprint["hashed_message"].native
        except (ValueError, TypeError, KeyError):
            return _rejection("bad_data_format", "not a DER TimeStampReq")
        if version != "v1":
            return _rejection("bad_request", "only version 1 requests are supported")
        if hash_algorithm not in HASH_ALGORITHMS:
            return _rejection("bad_alg", f"unsupported imprint algorithm {hash_algorithm}")
        if len(hashed_message) != _DIGEST_SIZES[hash_algorithm]:
            return _rejection("bad_data_format", "the imprint's length does not fit its algorithm")
        requested_policy = request["req_policy"]
        if requested_policy.native is not None and requested_policy.dotted != self.policy.dotted:
            return _rejection("unaccepted_policy", f"only policy {self.policy.dotted} is served")
        if request["extensions"].native:
            return _rejection("unaccepted_extension", "extensions are not supported")

        nonce = request["nonce"].native
        token = self.token(imprint.dump(), nonce=nonce, with_certificates=bool(request["cert_req"].native))
        return _tlv(0x30, _GRANTED + token)

    def stamp(self, digest: bytes, hash_algorithm: str = "sha256") -> bytes:
        """A token (DER ContentInfo) over `digest`, as `respond` grants one for such a request (with the
        certificates and a random nonce), without encoding a request and parsing a response in-process."""
        if hash_algorithm not in HASH_ALGORITHMS or len(digest) != _DIGEST_SIZES[hash_algorithm]:
            raise ValueError("the digest does not fit its algorithm")
        imprint = tsp.MessageImprint({"hash_algorithm": {"algorithm": hash_algorithm}, "hashed_message": digest})
        return self.token(imprint.dump(), nonce=int.from_bytes(os.urandom(8), "big"), with_certificates=True)

    def token(self, imprint_der: bytes, *, nonce: int | None, with_certificates: bool) -> bytes:
        """The signed TimeStampToken (DER ContentInfo) over the MessageImprint `imprint_der`.

        The TSTInfo and the signed attributes are built by asn1crypto; the envelope around them (SignerInfo,
        SignedData, ContentInfo), whose parts are the same for every token but the signature, is assembled
        from DER prepared once: asn1crypto spent half a millisecond re-encoding it for each token. The DER
        is the one asn1crypto writes (tests/engine/pdf/test_tsa.py re-encodes tokens and compares)."""
        gen_time = self._clock().astimezone(dt.UTC).replace(microsecond=0)
        tst_info = {
            "version": "v1",
            "policy": self.policy,
            "message_imprint": tsp.MessageImprint.load(imprint_der),
            "serial_number": int.from_bytes(os.urandom(16), "big") >> 1,
            "gen_time": gen_time,
            "accuracy": {"seconds": self.accuracy_seconds},
            "tsa": asn1_x509.GeneralName.load(self._tsa_name_der),
        }
        if nonce is not None:
            tst_info["nonce"] = nonce
        content = tsp.TSTInfo(tst_info).dump()
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(gen_time)})),
                simple_cms_attribute("message_digest", hashlib.sha256(content).digest()),
                simple_cms_attribute(
                    "signing_certificate_v2", tsp.SigningCertificateV2.load(self._signing_certificate_der)
                ),
            ]
        ).dump()
        signature = raw_sign(self.identity.private_key, signed_attrs, "sha256")
        # SignerInfo: version 1, issuer and serial, SHA-256, [0] IMPLICIT the signed attributes (a SET OF,
        # retagged), the signature algorithm, the signature.
        signer_info = _tlv(0x30, self._signer_head + _tlv(0xA0, _body(signed_attrs)) + self._signature_algorithm_der
                           + _tlv(0x04, signature))
        encap = _tlv(0x30, _TST_INFO_OID + _tlv(0xA0, _tlv(0x04, content)))
        certificates = _tlv(0xA0, b"".join(self._certificates_der)) if with_certificates else b""
        signed_data = _tlv(0x30, _V3 + self._digest_algorithms + encap + certificates + _tlv(0x31, signer_info))
        return _tlv(0x30, _SIGNED_DATA_OID + _tlv(0xA0, signed_data))

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> TimeStampServer:
        """Answer RFC 3161 requests over HTTP on (host, port) in a background thread."""
        return TimeStampServer(self, host, port)


def _rejection(failure: str, text: str) -> bytes:
    status = tsp.PKIStatusInfo(
        {"status": "rejection", "status_string": [text], "fail_info": tsp.PKIFailureInfo({failure})}
    )
    # asn1crypto wants a timeStampToken even though RFC 3161 omits it from a rejection.
    body = status.dump()
    return b"\x30" + _der_length(len(body)) + body


_GRANTED = tsp.PKIStatusInfo({"status": "granted"}).dump()
_V3 = core.Integer(3).dump()
_TST_INFO_OID = cms.ContentType("tst_info").dump()
_SIGNED_DATA_OID = cms.ContentType("signed_data").dump()


def _tlv(tag: int, body: bytes) -> bytes:
    """One DER element: its tag byte, its length, its contents."""
    return bytes((tag,)) + _der_length(len(body)) + body


def _body(der: bytes) -> bytes:
    """The contents of one DER element (its tag and length cut off)."""
    first = der[1]
    start = 2 if first < 0x80 else 2 + (first & 0x7F)
    return der[start:]


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    encoded = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(encoded),)) + encoded


def as_signing_certificate_v2(certificate: asn1_x509.Certificate,
                              hash_algorithm: str = "sha256") -> tsp.SigningCertificateV2:
    """The ESS signing-certificate-v2 value naming `certificate` (RFC 5035), as pyHanko builds it."""
    return tsp.SigningCertificateV2({"certs": [tsp.ESSCertIDv2({
        "hash_algorithm": {"algorithm": hash_algorithm},
        "cert_hash": hashlib.new(hash_algorithm, certificate.dump()).digest(),
        "issuer_serial": {"issuer": [asn1_x509.GeneralName({"directory_name": certificate.issuer})],
                          "serial_number": certificate["tbs_certificate"]["serial_number"]},
    })]})


def simple_cms_attribute(attribute_type: str, value) -> cms.CMSAttribute:
    """A CMS attribute with one value."""
    return cms.CMSAttribute({"type": cms.CMSAttributeType(attribute_type), "values": (value,)})


def __getattr__(name: str):
    if name == "TimeStampClient":
        from facturier.engine.pdf.tsa_client import TimeStampClient

        return TimeStampClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class TimeStampServer:
    """A TimeStampAuthority on http.server, in a daemon thread; a context manager."""

    def __init__(self, authority: TimeStampAuthority, host: str, port: int):
        handler = type("_Handler", (_TsaHandler,), {"authority": authority})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="facturier-tsa", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/tsa"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> TimeStampServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _TsaHandler(BaseHTTPRequestHandler):
    authority: TimeStampAuthority
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one segment: with keep-alive, two small writes meet the
    # client's delayed ACK and cost 40 ms per request.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True

    def do_POST(self) -> None:  # noqa: N802 — http.server's naming
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        length = int(self.headers.get("Content-Length") or -1)
        if content_type != CONTENT_TYPE_QUERY:
            self._reply(415, b"expected application/timestamp-query\n", "text/plain")
        elif not 0 < length <= MAX_REQUEST_BYTES:
            self._reply(413, b"request missing or too large\n", "text/plain")
        else:
            self._reply(200, self.authority.respond(self.rfile.read(length)), CONTENT_TYPE_REPLY)

    def do_GET(self) -> None:  # noqa: N802
        self._reply(405, b"POST an RFC 3161 TimeStampReq\n", "text/plain")

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:  # noqa: A002 — quiet; the caller logs
        pass


_INVALID = Message(
    fr="Le jeton d'horodatage reçu n'est pas valide (empreinte, nonce ou signature incorrects). "
    "Vérifiez l'adresse de l'autorité d'horodatage configurée.",
    en="The time-stamp token received is not valid (wrong imprint, nonce or signature). Check the "
    "configured time-stamp authority URL.",
)
_BAD_URL = Message(
    fr="L'adresse de l'autorité d'horodatage doit être une URL http:// ou https:// sans identifiants.",
    en="The time-stamp authority address must be an http:// or https:// URL without credentials.",
)
_PRIVATE_URL = Message(
    fr="L'adresse de l'autorité d'horodatage désigne un réseau privé ou local : elle est refusée. "
    "Indiquez l'URL publique de votre prestataire d'horodatage.",
    en="The time-stamp authority address points to a private or local network and is refused. Enter "
    "the public URL of your time-stamping provider.",
)
_UNREACHABLE = Message(
    fr="L'autorité d'horodatage est injoignable. Réessayez plus tard ou vérifiez son adresse.",
    en="The time-stamp authority cannot be reached. Try again later or check its address.",
)
_NOT_RFC3161 = Message(
    fr="L'autorité d'horodatage n'a pas répondu au format RFC 3161. Vérifiez son adresse.",
    en="The time-stamp authority did not answer in RFC 3161 format. Check its address.",
)
_REFUSED = Message(
    fr="L'autorité d'horodatage a refusé la demande de jeton.",
    en="The time-stamp authority refused the token request.",
)
