"""The CMS container of a PAdES signature (ETSI.CAdES.detached), assembled as DER bytes.

A PAdES baseline signature's container is always the same shape: SignedData over detached
data, the signer's certificates, one SignerInfo with three signed attributes (contentType,
messageDigest, signingCertificateV2 — PAdES forbids signingTime) and, for B-T, one unsigned
attribute holding the RFC 3161 token over the signature value (ETSI EN 319 122-1 §5.3).
Everything but the digest, the signature and the token is fixed per identity, so it is
encoded once; a seal then costs a hash, one private-key operation and a few concatenations.
asn1crypto builds the fixed parts (and pyHanko's validator reads the result in the tests);
it is kept out of the per-seal path because it re-encodes whatever is copied into it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from asn1crypto import algos, cms
from asn1crypto import x509 as asn1_x509
from asn1crypto.core import Integer
from pyhanko.sign.general import as_signing_certificate_v2

DIGEST = "sha256"


def der(tag: int, content: bytes) -> bytes:
    """One DER element: tag, definite length, content."""
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


_SEQUENCE, _SET, _OCTET_STRING = 0x30, 0x31, 0x04
_OID_SIGNED_DATA = cms.ContentType("signed_data").dump()
_CONTENT_TYPE_DATA = cms.ContentType("data").dump()
_OID_CONTENT_TYPE = cms.CMSAttributeType("content_type").dump()
_OID_MESSAGE_DIGEST = cms.CMSAttributeType("message_digest").dump()
_OID_SIGNING_CERTIFICATE_V2 = cms.CMSAttributeType("signing_certificate_v2").dump()
_OID_SIGNATURE_TIME_STAMP = cms.CMSAttributeType("signature_time_stamp_token").dump()
_VERSION_1 = Integer(1).dump()


def signed_attributes(data_digest: bytes, signing_certificate_v2: bytes) -> bytes:
    """The PAdES signed attributes as the DER SET OF they are signed as (tag 0x31)."""
    attributes = sorted(  # DER orders a SET OF by the encodings of its elements
        [
            der(_SEQUENCE, _OID_CONTENT_TYPE + der(_SET, _CONTENT_TYPE_DATA)),
            der(_SEQUENCE, _OID_MESSAGE_DIGEST + der(_SET, der(_OCTET_STRING, data_digest))),
            der(_SEQUENCE, _OID_SIGNING_CERTIFICATE_V2 + der(_SET, signing_certificate_v2)),
        ]
    )
    return der(_SET, b"".join(attributes))


class DetachedSignature:
    """Builds CAdES detached containers for one signer: certificate, chain and mechanism.

    `mechanism` is the DER of the SignatureAlgorithmIdentifier and `sign` produces the raw
    signature of the signed attributes with it (both from the signer's key).
    """

    def __init__(
        self,
        certificate: bytes,
        chain: Sequence[bytes],
        *,
        mechanism: bytes,
        sign: Callable[[bytes], bytes],
    ):
        parsed = asn1_x509.Certificate.load(certificate)
        self._sign = sign
        self._mechanism = mechanism
        self.signing_certificate_v2 = as_signing_certificate_v2(parsed).dump()
        self._digest_algorithm = algos.DigestAlgorithm({"algorithm": DIGEST}).dump()
        self._signer_id = cms.IssuerAndSerialNumber(
            {"issuer": parsed.issuer, "serial_number": parsed.serial_number}
        ).dump()
        self._certificates = der(0xA0, b"".join([certificate, *chain]))  # [0] IMPLICIT SET OF

    def container(self, data_digest: bytes, *, time_stamp: Callable[[bytes], bytes] | None = None) -> bytes:
        """The ContentInfo for data hashing to `data_digest` (SHA-256).

        `time_stamp`, given the SHA-256 of the signature value, returns an RFC 3161 token
        (a ContentInfo, DER) that goes in as the signature-time-stamp unsigned attribute.
        """
        attributes = signed_attributes(data_digest, self.signing_certificate_v2)
        signature = self._sign(attributes)
        signer_info = [
            _VERSION_1,
            self._signer_id,
            self._digest_algorithm,
            b"\xa0" + attributes[1:],  # the same SET, [0] IMPLICIT in the SignerInfo
            self._mechanism,
            der(_OCTET_STRING, signature),
        ]
        if time_stamp is not None:
            token = time_stamp(hashlib.new(DIGEST, signature).digest())
            signer_info.append(der(0xA1, der(_SEQUENCE, _OID_SIGNATURE_TIME_STAMP + der(_SET, token))))
        signed_data = der(
            _SEQUENCE,
            _VERSION_1
            + der(_SET, self._digest_algorithm)
            + der(_SEQUENCE, _CONTENT_TYPE_DATA)
            + self._certificates
            + der(_SET, der(_SEQUENCE, b"".join(signer_info))),
        )
        return der(_SEQUENCE, _OID_SIGNED_DATA + der(0xA0, signed_data))

