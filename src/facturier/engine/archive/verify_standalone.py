#!/usr/bin/env python3
"""Offline verifier of Facturier proof bundles: is this file the document that was archived?

    python verify.py BUNDLE.json FILE.pdf [--operator-key KEY.pem] [--tsa-root ROOT.pem] [--lang en]

Needs only the Python standard library (3.8 or later) and the `cryptography` package
(Debian 12's python3-cryptography 38 will do); it never imports
Facturier, so it can be copied anywhere (Facturier ships it verbatim in every export as
`verify.py`). Exit status 0 means every check passed, 1 that at least one failed, 2 that the
bundle could not be read.

What it checks, in order:

1. the file's SHA-256 is the fingerprint the bundle proves;
2. the archived metadata names that fingerprint, and the journal entry commits to that
   metadata (SHA-256 of its canonical JSON);
3. the journal entry's hash recomputes (SHA-256 of the previous hash and the entry);
4. the Merkle inclusion path (RFC 6962/9162, SHA-256, 0x00/0x01 prefixes) leads from the
   entry to the root sealed by the checkpoint;
5. the checkpoint is signed (Ed25519 or ECDSA P-256) by the operator key in the bundle, and
   that key matches `--operator-key` when given;
6. both RFC 3161 time-stamp tokens — the document's (over the file's SHA-256) and the
   checkpoint's (over the SHA-256 of its signature) — carry the right message imprint in
   their TSTInfo, and their CMS signature (signed attributes: content type, message digest
   of the TSTInfo, ESS signing certificate) verifies with the TSA certificate, which must be
   allowed to time-stamp (extended key usage) and valid at the stamped time. The certificate
   chain found in the token and the bundle is checked signature by signature up to a
   self-signed root; with `--tsa-root` that root must be the one given.

What it does not do: fetch revocation data (CRL/OCSP) — the verdict prints the TSA and
operator key fingerprints so they can be compared with the published ones; without
`--operator-key` and `--tsa-root` a fully self-consistent bundle made with other keys would
also pass, so pin them for a verdict that means "made by my operator".

The functions here are also the reference implementation of Facturier's journal formats:
the engine imports them, so the archive and this script cannot drift apart.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import sys
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

BUNDLE_FORMAT = "facturier-proof/1"
ENTRY_FORMAT = "facturier-entry/1"
CHECKPOINT_FORMAT = "facturier-checkpoint/1"
GENESIS_HASH = "0" * 64
"""The `prev_hash` of the first entry of a journal."""
UTC = dt.timezone.utc  # noqa: UP017 - the script also runs on Python < 3.11
CLOCK_TOLERANCE = dt.timedelta(minutes=5)
"""How far two time sources (the TSA, the operator's clock) may disagree."""

# --- Canonical JSON and the journal's hashes --------------------------------------------------


def canonical_json(value: object) -> bytes:
    """The one serialisation that is hashed: sorted keys, no spaces, UTF-8, no floats."""
    _check_canonical(value)
    return _CANONICAL_ENCODER.encode(value).encode()


# What json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False) uses, made once:
# `archive verify` hashes a million of these.
_CANONICAL_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _check_canonical(value: object) -> None:
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        raise ValueError("floats are not allowed in canonical JSON (use a string or an integer)")
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_canonical(item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"canonical JSON keys must be strings, not {type(key).__name__}")
            _check_canonical(item)
        return
    raise ValueError(f"{type(value).__name__} is not allowed in canonical JSON")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry_body(
    *, seq: int, kind: str, organisation: str, subject: str, payload_digest: str, prev_hash: str,
    recorded_at: str, ref: int | None,
) -> bytes:
    """The canonical bytes of a journal entry without its own hash (fields are typed by the caller)."""
    return _ENTRY_ENCODER.encode(
        {"format": ENTRY_FORMAT, "kind": kind, "organisation": organisation, "payload_digest": payload_digest,
         "prev_hash": prev_hash, "recorded_at": recorded_at, "ref": ref, "seq": seq, "subject": subject},
    ).encode()


_ENTRY_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(fields: dict) -> str:
    """entry_hash = SHA-256(prev_hash as 32 bytes || canonical entry without entry_hash), in hex."""
    body = entry_body(
        seq=fields["seq"], kind=fields["kind"], organisation=fields["organisation"], subject=fields["subject"],
        payload_digest=fields["payload_digest"], prev_hash=fields["prev_hash"], recorded_at=fields["recorded_at"],
        ref=fields.get("ref"),
    )
    return hashlib.sha256(bytes.fromhex(fields["prev_hash"]) + body).hexdigest()


def format_time(moment: dt.datetime) -> str:
    """A journal time: UTC, microseconds, ``2026-01-05T09:00:00.000000Z``."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("journal times must be timezone-aware")
    if offset:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"  # "+00:00" -> "Z" (once per entry verified)


def parse_time(text: str) -> dt.datetime:
    if len(text) != 27 or text[10] != "T" or text[19] != "." or not text.endswith("Z"):
        raise ValueError(f"not a journal time (YYYY-MM-DDTHH:MM:SS.ffffffZ): {text!r}")
    return dt.datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


# --- Merkle trees (RFC 6962 §2.1, RFC 9162 §2.1.3) --------------------------------------------


def leaf_hash(entry_hash_bytes: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry_hash_bytes).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def root_from_inclusion(leaf_index: int, tree_size: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    """The root that an inclusion path leads to (RFC 9162 §2.1.3.2), or None if the path is malformed."""
    if not 0 <= leaf_index < tree_size:
        return None
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


# --- Checkpoints ------------------------------------------------------------------------------

CHECKPOINT_BODY_FIELDS = (
    "format", "journal", "number", "first_seq", "last_seq", "size", "head_hash", "merkle_root",
    "period_start", "period_end", "sealed_at", "previous", "algorithm", "key_id",
)


def checkpoint_body(checkpoint: dict) -> bytes:
    """The bytes the operator signs: every field but the signature and the time-stamp token."""
    return canonical_json({name: checkpoint[name] for name in CHECKPOINT_BODY_FIELDS})


def checkpoint_digest(checkpoint: dict) -> str:
    """What the journal and the next checkpoint record: SHA-256 of the body and its signature.

    The time-stamp token is left out on purpose: tokens are renewed over ten years.
    """
    return sha256_hex(checkpoint_body(checkpoint) + base64.b64decode(checkpoint["signature"]))


def key_id(public_key) -> str:
    """SHA-256 of the key's SubjectPublicKeyInfo (DER), in hex."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return sha256_hex(der)


def verify_operator_signature(public_key, algorithm: str, data: bytes, signature: bytes) -> bool:
    try:
        if algorithm == "Ed25519" and isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(signature, data)
        elif algorithm == "ECDSA-P256-SHA256" and isinstance(public_key, ec.EllipticCurvePublicKey):
            if not isinstance(public_key.curve, ec.SECP256R1):
                return False
            public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except InvalidSignature:
        return False
    return True


# --- A tiny DER reader, enough for RFC 3161 tokens ---------------------------------------------


class TokenError(ValueError):
    """The time-stamp token is malformed, does not match, or its signature fails."""


@dataclass(frozen=True)
class Der:
    tag: int
    raw: bytes
    """The whole TLV."""
    content: bytes

    def children(self) -> list[Der]:
        out, pos = [], 0
        while pos < len(self.content):
            node, pos = read_der(self.content, pos)
            out.append(node)
        return out


def read_der(data: bytes, pos: int = 0) -> tuple[Der, int]:
    """One DER TLV at `pos`: (node, position after it). Low tag numbers, definite lengths only."""
    try:
        start, tag = pos, data[pos]
        if tag & 0x1F == 0x1F:
            raise TokenError("high tag numbers are not used in time-stamp tokens")
        length = data[pos + 1]
        pos += 2
        if length & 0x80:
            n = length & 0x7F
            if not 1 <= n <= 4:
                raise TokenError("indefinite or oversized DER length")
            length = int.from_bytes(data[pos : pos + n], "big")
            pos += n
    except IndexError:
        raise TokenError("truncated DER") from None
    end = pos + length
    if end > len(data):
        raise TokenError("truncated DER")
    return Der(tag, bytes(data[start:end]), bytes(data[pos:end])), end


def parse_der(data: bytes) -> Der:
    node, end = read_der(data, 0)
    if end != len(data):
        raise TokenError("trailing bytes after DER value")
    return node


def oid(node: Der) -> str:
    if node.tag != 0x06 or not node.content:
        raise TokenError("expected an object identifier")
    values, acc = [], 0
    for byte in node.content:
        acc = (acc << 7) | (byte & 0x7F)
        if not byte & 0x80:
            values.append(acc)
            acc = 0
    first = min(values[0] // 40, 2)
    return ".".join(str(v) for v in [first, values[0] - 40 * first, *values[1:]])


def der_int(node: Der) -> int:
    if node.tag != 0x02:
        raise TokenError("expected an integer")
    return int.from_bytes(node.content, "big", signed=True)


def expect(node: Der, tag: int, what: str) -> Der:
    if node.tag != tag:
        raise TokenError(f"malformed token: expected {what}")
    return node


OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_TST_INFO = "1.2.840.113549.1.9.16.1.4"
OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_SIGNING_CERT = "1.2.840.113549.1.9.16.2.12"
OID_SIGNING_CERT_V2 = "1.2.840.113549.1.9.16.2.47"
OID_TIME_STAMPING = "1.3.6.1.5.5.7.3.8"
DIGESTS = {
    "2.16.840.1.101.3.4.2.1": hashes.SHA256, "2.16.840.1.101.3.4.2.2": hashes.SHA384,
    "2.16.840.1.101.3.4.2.3": hashes.SHA512, "1.3.14.3.2.26": hashes.SHA1,
}
SIGNATURE_HASHES = {  # signature algorithms that name their own digest
    "1.2.840.113549.1.1.11": hashes.SHA256, "1.2.840.113549.1.1.12": hashes.SHA384,
    "1.2.840.113549.1.1.13": hashes.SHA512, "1.2.840.10045.4.3.2": hashes.SHA256,
    "1.2.840.10045.4.3.3": hashes.SHA384, "1.2.840.10045.4.3.4": hashes.SHA512,
}
RSA_PKCS1 = {"1.2.840.113549.1.1.1", "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13"}
RSA_PSS = "1.2.840.113549.1.1.10"
ECDSA = {"1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4"}
ED25519 = "1.3.101.112"


def _digest(algorithm: type[hashes.HashAlgorithm], data: bytes) -> bytes:
    h = hashes.Hash(algorithm())
    h.update(data)
    return h.finalize()


@dataclass(frozen=True)
class TokenInfo:
    """What a verified time-stamp token says."""

    gen_time: dt.datetime
    tsa_subject: str
    tsa_certificate_sha256: str
    chain: list[str]
    """Subjects from the TSA certificate up to the last certificate found."""
    anchored: bool
    """True when the chain ends in one of the trusted roots given."""


def _parse_generalized_time(node: Der) -> dt.datetime:
    text = expect(node, 0x18, "GeneralizedTime").content.decode("ascii")
    if not text.endswith("Z"):
        raise TokenError("genTime must be in UTC")
    main, _, fraction = text[:-1].partition(".")
    moment = dt.datetime.strptime(main, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    if fraction:
        moment += dt.timedelta(microseconds=int((fraction + "000000")[:6]))
    return moment


def verify_timestamp_token(
    token: bytes, digest: bytes, *, extra_certificates: list[x509.Certificate] = (),
    trusted_roots: list[x509.Certificate] = (),
) -> TokenInfo:
    """Checks an RFC 3161 TimeStampToken over a SHA-256 `digest`; returns what it proves or raises TokenError."""
    try:
        return _verify_token(token, digest, list(extra_certificates), list(trusted_roots))
    except TokenError:
        raise
    except Exception as error:  # noqa: BLE001 - hostile input: whatever breaks, the token is not verified
        raise TokenError(f"malformed time-stamp token ({type(error).__name__}: {error})") from None


def _verify_token(token: bytes, digest: bytes, extra_certificates: list, trusted_roots: list) -> TokenInfo:
    content_info = expect(parse_der(token), 0x30, "ContentInfo").children()
    if len(content_info) != 2 or oid(content_info[0]) != OID_SIGNED_DATA or content_info[1].tag != 0xA0:
        raise TokenError("not a CMS SignedData")
    signed_data = expect(content_info[1].children()[0], 0x30, "SignedData").children()
    encap = expect(signed_data[2], 0x30, "EncapsulatedContentInfo").children()
    if oid(encap[0]) != OID_TST_INFO or len(encap) != 2 or encap[1].tag != 0xA0:
        raise TokenError("the token does not hold a TSTInfo")
    tst_der = expect(encap[1].children()[0], 0x04, "eContent").content
    certificates = list(extra_certificates)
    signer_infos = None
    for node in signed_data[3:]:
        if node.tag == 0xA0:
            certificates += [x509.load_der_x509_certificate(c.raw) for c in node.children() if c.tag == 0x30]
        elif node.tag == 0x31:
            signer_infos = node.children()
    if not signer_infos or len(signer_infos) != 1:
        raise TokenError("a time-stamp token has exactly one signer")

    # The TSTInfo: message imprint and time.
    tst = expect(parse_der(tst_der), 0x30, "TSTInfo").children()
    imprint = expect(tst[2], 0x30, "MessageImprint").children()
    imprint_alg = oid(imprint[0].children()[0])
    if DIGESTS.get(imprint_alg) is not hashes.SHA256:
        raise TokenError(f"the token's message imprint uses {imprint_alg}, not SHA-256")
    if expect(imprint[1], 0x04, "hashedMessage").content != digest:
        raise TokenError("the token's message imprint is not the digest of this data")
    gen_time = _parse_generalized_time(tst[4])

    # The CMS signer: signed attributes bind the TSTInfo and the TSA certificate.
    info = expect(signer_infos[0], 0x30, "SignerInfo").children()
    sid = info[1]
    digest_alg = DIGESTS.get(oid(expect(info[2], 0x30, "digestAlgorithm").children()[0]))
    if digest_alg is None or digest_alg is hashes.SHA1:
        raise TokenError("the token's signature uses an unsupported or weak digest")
    if info[3].tag != 0xA0:
        raise TokenError("the token has no signed attributes")
    signed_attrs = info[3]
    sig_alg = oid(expect(info[4], 0x30, "signatureAlgorithm").children()[0])
    signature = expect(info[5], 0x04, "signature").content
    attributes = {}
    for attribute in signed_attrs.children():
        parts = attribute.children()
        attributes[oid(parts[0])] = parts[1].children()
    if OID_CONTENT_TYPE not in attributes or oid(attributes[OID_CONTENT_TYPE][0]) != OID_TST_INFO:
        raise TokenError("the signed content type is not TSTInfo")
    signed_digest = attributes.get(OID_MESSAGE_DIGEST)
    if not signed_digest or signed_digest[0].content != _digest(digest_alg, tst_der):
        raise TokenError("the signature does not cover this TSTInfo (message digest mismatch)")

    signer = _find_signer(sid, certificates)
    _check_signing_certificate(attributes, signer)
    to_verify = b"\x31" + signed_attrs.raw[1:]
    _verify_cms_signature(signer.public_key(), sig_alg, digest_alg, to_verify, signature)

    try:
        usages = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        raise TokenError("the TSA certificate is not allowed to time-stamp (no extended key usage)") from None
    if x509.ObjectIdentifier(OID_TIME_STAMPING) not in usages:
        raise TokenError("the TSA certificate is not allowed to time-stamp")
    if not _not_before(signer) <= gen_time <= _not_after(signer):
        raise TokenError("the TSA certificate was not valid at the stamped time")
    chain, anchored = _walk_chain(signer, certificates, trusted_roots)
    return TokenInfo(gen_time, signer.subject.rfc4514_string(), signer.fingerprint(hashes.SHA256()).hex(), chain,
                     anchored)


def _not_before(cert: x509.Certificate) -> dt.datetime:
    moment = getattr(cert, "not_valid_before_utc", None)  # cryptography >= 42
    return moment or cert.not_valid_before.replace(tzinfo=UTC)


def _not_after(cert: x509.Certificate) -> dt.datetime:
    moment = getattr(cert, "not_valid_after_utc", None)
    return moment or cert.not_valid_after.replace(tzinfo=UTC)


def _find_signer(sid: Der, certificates: list[x509.Certificate]) -> x509.Certificate:
    if sid.tag == 0x30:
        issuer, serial = sid.children()[0].raw, der_int(sid.children()[1])
        for cert in certificates:
            if cert.serial_number == serial and cert.issuer.public_bytes() == issuer:
                return cert
    elif sid.tag == 0x80:
        for cert in certificates:
            try:
                ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
            except x509.ExtensionNotFound:
                continue
            if ski == sid.content:
                return cert
    raise TokenError("the TSA certificate is neither in the token nor in the bundle")


def _check_signing_certificate(attributes: dict, signer: x509.Certificate) -> None:
    """ESS signing-certificate(-v2) (RFC 2634, RFC 5035): the signed attributes name the signer's certificate."""
    der = signer.public_bytes(serialization.Encoding.DER)
    if OID_SIGNING_CERT_V2 in attributes:
        first = attributes[OID_SIGNING_CERT_V2][0].children()[0].children()[0].children()
        algorithm = hashes.SHA256
        if first[0].tag == 0x30:
            algorithm = DIGESTS.get(oid(first[0].children()[0]))
            first = first[1:]
        if algorithm is None or first[0].content != _digest(algorithm, der):
            raise TokenError("the signed attributes name another TSA certificate")
    elif OID_SIGNING_CERT in attributes:
        first = attributes[OID_SIGNING_CERT][0].children()[0].children()[0].children()
        if first[0].content != _digest(hashes.SHA1, der):
            raise TokenError("the signed attributes name another TSA certificate")
    else:
        raise TokenError("the token does not name its TSA certificate (no ESS signing-certificate attribute)")


def _verify_cms_signature(public_key, sig_alg: str, digest_alg, data: bytes, signature: bytes) -> None:
    try:
        if isinstance(public_key, rsa.RSAPublicKey) and sig_alg in RSA_PKCS1:
            public_key.verify(signature, data, padding.PKCS1v15(), SIGNATURE_HASHES.get(sig_alg, digest_alg)())
        elif isinstance(public_key, rsa.RSAPublicKey) and sig_alg == RSA_PSS:
            pss = padding.PSS(mgf=padding.MGF1(digest_alg()), salt_length=padding.PSS.AUTO)
            public_key.verify(signature, data, pss, digest_alg())
        elif isinstance(public_key, ec.EllipticCurvePublicKey) and sig_alg in ECDSA:
            public_key.verify(signature, data, ec.ECDSA(SIGNATURE_HASHES[sig_alg]()))
        elif isinstance(public_key, ed25519.Ed25519PublicKey) and sig_alg == ED25519:
            public_key.verify(signature, data)
        else:
            raise TokenError(f"unsupported token signature algorithm {sig_alg}")
    except InvalidSignature:
        raise TokenError("the TSA's signature over the token is invalid") from None


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> None:
    """Raises unless `issuer`'s key signed `cert` (cryptography >= 40 has this built in; Debian 12 has 38)."""
    built_in = getattr(cert, "verify_directly_issued_by", None)
    if built_in is not None:
        built_in(issuer)
        return
    key, signature, tbs = issuer.public_key(), cert.signature, cert.tbs_certificate_bytes
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, tbs, padding.PKCS1v15(), cert.signature_hash_algorithm)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, tbs, ec.ECDSA(cert.signature_hash_algorithm))
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(signature, tbs)
    else:
        raise TypeError("unsupported issuer key type")


def _walk_chain(cert: x509.Certificate, pool: list[x509.Certificate], roots: list[x509.Certificate]):
    """Follows issuers through `pool`, checking each signature; returns (subjects, anchored in a root)."""
    chain, seen = [cert.subject.rfc4514_string()], {cert.fingerprint(hashes.SHA256())}
    root_prints = {r.fingerprint(hashes.SHA256()) for r in roots}
    candidates = list(roots) + list(pool)  # a trusted root wins over a same-named certificate from the token
    while True:
        if cert.fingerprint(hashes.SHA256()) in root_prints:
            return chain, True
        if cert.issuer == cert.subject:
            try:
                _issued_by(cert, cert)
            except (ValueError, TypeError, InvalidSignature):
                raise TokenError(f"the self-signed certificate {chain[-1]} has a bad signature") from None
            return chain, False
        issuer = next((c for c in candidates if c.subject == cert.issuer
                       and c.fingerprint(hashes.SHA256()) not in seen), None)
        if issuer is None:
            return chain, False
        try:
            _issued_by(cert, issuer)
        except (ValueError, TypeError, InvalidSignature):
            raise TokenError(f"the certificate {chain[-1]} is not signed by its issuer") from None
        cert = issuer
        seen.add(cert.fingerprint(hashes.SHA256()))
        chain.append(cert.subject.rfc4514_string())


# --- The bundle -------------------------------------------------------------------------------


@dataclass
class Verdict:
    """Every check with its outcome, in English and French; `ok` only when all passed."""

    checks: list[tuple[bool, str, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    archived_at: dt.datetime | None = None
    """When the document was time-stamped (when its token verified)."""

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(passed for passed, _, _ in self.checks)

    @property
    def failures(self) -> list[str]:
        return [en for passed, en, _ in self.checks if not passed]

    def check(self, passed: bool, en: str, fr: str) -> bool:
        self.checks.append((bool(passed), en, fr))
        return bool(passed)

    def note(self, en: str, fr: str) -> None:
        self.notes.append((en, fr))

    def render(self, language: str = "en") -> str:
        french = language.lower().startswith("fr")
        ok, failed, note = ("OK    ", "ÉCHEC ", "note  ") if french else ("PASS  ", "FAIL  ", "note  ")
        lines = [(ok if passed else failed) + (fr if french else en) for passed, en, fr in self.checks]
        lines += [note + (fr if french else en) for en, fr in self.notes]
        when = self.archived_at.isoformat() if self.archived_at else ""
        if french:
            lines.append("VERDICT : " + (f"le fichier est le document archivé, intact (horodaté le {when})" if self.ok
                                         else "NON VÉRIFIÉ — voir les contrôles en échec ci-dessus"))
        else:
            lines.append("VERDICT: " + (f"the file is the archived document, untouched (time-stamped {when})"
                                        if self.ok else "NOT VERIFIED — see the failed checks above"))
        return "\n".join(lines)


def verify_bundle(
    bundle: dict, data: bytes, *, operator_keys: list = (), tsa_roots: list[x509.Certificate] = (),
) -> Verdict:
    """Verifies a proof bundle (parsed JSON) against the file's bytes, offline."""
    verdict = Verdict()
    try:
        _verify(bundle, data, verdict, list(operator_keys), list(tsa_roots))
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:  # malformed: a failed check
        detail = f"{type(error).__name__}: {error}"
        verdict.check(False, f"the bundle is malformed or incomplete ({detail})",
                      f"la preuve est mal formée ou incomplète ({detail})")
    return verdict


def _verify(bundle: dict, data: bytes, verdict: Verdict, operator_keys: list, tsa_roots: list) -> None:
    check = verdict.check
    check(bundle.get("format") == BUNDLE_FORMAT, f"bundle format is {BUNDLE_FORMAT}",
          f"format de preuve {BUNDLE_FORMAT}")
    document, entry, metadata = bundle["document"], bundle["entry"], bundle["metadata"]
    checkpoint, inclusion = bundle["checkpoint"], bundle["inclusion"]
    seq, number = entry["seq"], checkpoint["number"]
    fingerprint, expected = sha256_hex(data), document["fingerprint"]
    check(fingerprint == expected, f"file SHA-256 {fingerprint} is the archived fingerprint {expected}",
          f"l'empreinte SHA-256 du fichier {fingerprint} est l'empreinte archivée {expected}")
    check(metadata.get("fingerprint") == expected, "the archived metadata names this fingerprint",
          "les métadonnées archivées portent cette empreinte")
    check(sha256_hex(canonical_json(metadata)) == entry["payload_digest"],
          f"journal entry seq {seq} commits to this metadata",
          f"l'entrée de journal n° {seq} engage ces métadonnées")
    computed = entry_hash(entry)
    check(computed == entry["entry_hash"], f"journal entry seq {seq} hash recomputes",
          f"l'empreinte de l'entrée de journal n° {seq} se recalcule")
    check(entry["kind"] == "artefact", "the journal entry records an archived artefact",
          "l'entrée de journal enregistre un document archivé")

    first, last, size = checkpoint["first_seq"], checkpoint["last_seq"], checkpoint["size"]
    check(size == last - first + 1 and inclusion["tree_size"] == size and inclusion["leaf_index"] == seq - first,
          f"entry seq {seq} lies in checkpoint #{number} (seq {first}..{last})",
          f"l'entrée n° {seq} appartient au point de contrôle n° {number} (entrées {first} à {last})")
    path = [bytes.fromhex(p) for p in inclusion["path"]]
    leaf = leaf_hash(bytes.fromhex(computed))
    root = root_from_inclusion(inclusion["leaf_index"], inclusion["tree_size"], leaf, path)
    check(root is not None and root.hex() == checkpoint["merkle_root"],
          f"Merkle path leads to the root sealed by checkpoint #{number}",
          f"le chemin de Merkle mène à la racine scellée par le point de contrôle n° {number}")

    public_key = serialization.load_pem_public_key(bundle["operator_public_key"].encode())
    kid, algorithm = key_id(public_key), checkpoint["algorithm"]
    check(kid == checkpoint["key_id"], f"checkpoint names the operator key {kid[:16]}…",
          f"le point de contrôle désigne la clé d'opérateur {kid[:16]}…")
    signature = base64.b64decode(checkpoint["signature"])
    check(verify_operator_signature(public_key, algorithm, checkpoint_body(checkpoint), signature),
          f"checkpoint #{number} signature ({algorithm}) is valid",
          f"la signature ({algorithm}) du point de contrôle n° {number} est valide")
    if operator_keys:
        check(kid in {key_id(k) for k in operator_keys}, "the operator key is the pinned one (--operator-key)",
              "la clé d'opérateur est celle attendue (--operator-key)")
    else:
        verdict.note(f"operator key id (SHA-256 of its public key): {kid} — compare with the published one",
                     f"identifiant de la clé d'opérateur (SHA-256 de sa clé publique) : {kid} — à comparer avec "
                     "celui publié")
    check(parse_time(entry["recorded_at"]) <= parse_time(checkpoint["sealed_at"]),
          "the entry was recorded before the checkpoint was sealed",
          "l'entrée a été enregistrée avant le scellement du point de contrôle")

    extra = [x509.load_pem_x509_certificate(pem.encode()) for pem in bundle.get("tsa_certificates", [])]
    doc_time = _check_token(verdict, ("document time-stamp", "horodatage du document"),
                            base64.b64decode(document["timestamp_token"]), bytes.fromhex(expected), extra, tsa_roots)
    cp_time = _check_token(verdict, (f"checkpoint #{number} time-stamp",
                                     f"horodatage du point de contrôle n° {number}"),
                           base64.b64decode(checkpoint["timestamp_token"]), hashlib.sha256(signature).digest(),
                           extra, tsa_roots)
    if doc_time and cp_time:
        check(doc_time <= cp_time + CLOCK_TOLERANCE, "the document was time-stamped before its checkpoint",
              "le document a été horodaté avant son point de contrôle")
        verdict.archived_at = doc_time


def _check_token(verdict: Verdict, what: tuple[str, str], token: bytes, digest: bytes, extra, roots):
    en, fr = what
    try:
        info = verify_timestamp_token(token, digest, extra_certificates=extra, trusted_roots=roots)
    except TokenError as error:
        verdict.check(False, f"{en}: {error}", f"{fr} : invalide ({error})")
        return None
    when = info.gen_time.isoformat()
    verdict.check(True, f"{en} is valid: {when} by {info.tsa_subject}",
                  f"{fr} valide : {when} par {info.tsa_subject}")
    if roots:
        verdict.check(info.anchored, f"{en}: the TSA chains to the trusted root (--tsa-root)",
                      f"{fr} : l'autorité d'horodatage remonte à la racine attendue (--tsa-root)")
    else:
        chain = " → ".join(info.chain)
        verdict.note(f"{en}: TSA chain {chain} (not pinned; see --tsa-root); "
                     f"TSA certificate SHA-256 {info.tsa_certificate_sha256}",
                     f"{fr} : chaîne de l'autorité {chain} (non épinglée ; voir --tsa-root) ; "
                     f"SHA-256 du certificat {info.tsa_certificate_sha256}")
    return info.gen_time


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a Facturier proof bundle against a file, offline.")
    parser.add_argument("bundle", help="the proof bundle (JSON)")
    parser.add_argument("file", help="the archived file (PDF, XML…)")
    parser.add_argument("--operator-key", action="append", default=[], help="PEM public key of the operator to pin")
    parser.add_argument("--tsa-root", action="append", default=[], help="PEM root certificate of the TSA to pin")
    parser.add_argument("--lang", choices=["fr", "en"], default="fr", help="language of the verdict (default: fr)")
    args = parser.parse_args(argv)
    try:
        with open(args.bundle, encoding="utf-8") as handle:
            bundle = json.load(handle)
        with open(args.file, "rb") as handle:
            data = handle.read()
        operator_keys = [serialization.load_pem_public_key(_read(p)) for p in args.operator_key]
        roots = [x509.load_pem_x509_certificate(_read(p)) for p in args.tsa_root]
    except (OSError, ValueError) as error:
        print(f"lecture impossible / cannot read the inputs: {error}", file=sys.stderr)
        return 2
    verdict = verify_bundle(bundle, data, operator_keys=operator_keys, tsa_roots=roots)
    print(verdict.render(args.lang))
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
