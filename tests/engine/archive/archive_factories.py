"""Factories of the archive engine tests: local time-stamp authorities, journals, archived rows.

Two RFC 3161 responders, each behind a certificate chain made here (a root CA and a TSA
certificate allowed to time-stamp): pyHanko's DummyTimeStamper (an independent
implementation; RSA, ESS signing-certificate v1, issuer-and-serial signer id) and a small
ECDSA P-256 responder written with asn1crypto (ESS signing-certificate v2, subject key
identifier). The second is fast (DummyTimeStamper re-loads its RSA key for every token,
about 50 ms), so most tests use it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from asn1crypto import algos, cms, core, tsp
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from facturier.engine.archive import Chain, DataKey, Kind, payload_digest, seal_artefact
from facturier.engine.archive.verify_standalone import verify_timestamp_token

T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Facturier tests"),
        ]
    )


def _certificate(subject, issuer, public_key, signing_key, *, ca: bool, tsa: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=400))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if tsa:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


class EcdsaStamper:
    """A minimal RFC 3161 responder: TSTInfo signed with ECDSA P-256 over signed attributes."""

    def __init__(self, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey, embed: list):
        self.certificate, self.key = certificate, key
        self.asn1_cert = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
        self.embed = [self.asn1_cert] + [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
                                         for c in embed]

    def token(self, digest: bytes) -> bytes:
        sha256 = algos.DigestAlgorithm({"algorithm": "sha256"})
        tst_info = tsp.TSTInfo({
            "version": "v1", "policy": "1.3.6.1.4.1.99999.1", "serial_number": secrets.randbits(63),
            "message_imprint": tsp.MessageImprint({"hash_algorithm": sha256, "hashed_message": digest}),
            "gen_time": dt.datetime.now(dt.UTC),
        }).dump()
        ess = tsp.SigningCertificateV2({"certs": [tsp.ESSCertIDv2({
            "hash_algorithm": sha256, "cert_hash": hashlib.sha256(self.certificate.public_bytes(
                serialization.Encoding.DER)).digest()})]})
        attrs = cms.CMSAttributes([
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(tst_info).digest()]}),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [ess]}),
        ])
        signature = self.key.sign(attrs.dump(), ec.ECDSA(hashes.SHA256()))
        ski = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        signer = cms.SignerInfo({
            "version": "v3", "sid": cms.SignerIdentifier({"subject_key_identifier": core.OctetString(ski)}),
            "digest_algorithm": sha256, "signed_attrs": attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}), "signature": signature,
        })
        signed_data = cms.SignedData({
            "version": "v3", "digest_algorithms": [sha256],
            "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(tst_info)},
            "certificates": self.embed, "signer_infos": [signer],
        })
        return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()


@dataclass
class LocalTsa:
    """A time-stamp authority on the test's side: `timestamp` and `verify` are what the engine is given."""

    root: x509.Certificate
    certificate: x509.Certificate
    stamper: DummyTimeStamper | EcdsaStamper

    def timestamp(self, digest: bytes) -> bytes:
        if isinstance(self.stamper, EcdsaStamper):
            return self.stamper.token(digest)
        _nonce, request = self.stamper.request_cms(digest, "sha256")
        return self.stamper.request_tsa_response(request)["time_stamp_token"].dump()

    def verify(self, token: bytes, digest: bytes) -> dt.datetime:
        return verify_timestamp_token(token, digest, trusted_roots=[self.root]).gen_time


def make_tsa(common_name: str = "Facturier Test TSA", *, rsa_dummy: bool = False) -> LocalTsa:
    """A TSA with its own root: the fast ECDSA responder, or pyHanko's DummyTimeStamper (RSA)."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(common_name + " Root")
    root = _certificate(root_name, root_name, root_key.public_key(), root_key, ca=True, tsa=False)
    if not rsa_dummy:
        tsa_key = ec.generate_private_key(ec.SECP256R1())
        certificate = _certificate(_name(common_name), root_name, tsa_key.public_key(), root_key, ca=False, tsa=True)
        return LocalTsa(root, certificate, EcdsaStamper(certificate, tsa_key, [root]))
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = _certificate(_name(common_name), root_name, tsa_key.public_key(), root_key, ca=False, tsa=True)
    pkcs8 = tsa_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(pkcs8),
        certs_to_embed=[asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER))],
    )
    return LocalTsa(root, certificate, stamper)


@dataclass
class Row:
    """What the archive app keeps per entry: the entry, its metadata, the key and the stored blob."""

    entry: object
    metadata: dict | None = None
    wrapped_key: bytes | None = None
    blob: bytes | None = None
    token: bytes | None = None


def audit_journal(n: int, *, organisation: str = "org-42", start: dt.datetime = T0) -> list:
    """`n` audit entries, one per second."""
    chain = Chain()
    return [
        chain.append(
            kind=Kind.AUDIT,
            organisation=organisation,
            subject=f"audit:{i}",
            payload_digest=payload_digest({"event": i}),
            recorded_at=start + dt.timedelta(seconds=i),
        )
        for i in range(1, n + 1)
    ]


def archive_documents(
    data_key: DataKey,
    documents: list[bytes],
    *,
    tsa: LocalTsa | None = None,
    chain: Chain | None = None,
    start: dt.datetime = T0,
    first_number: int = 1,
) -> tuple[Chain, list[Row]]:
    """Ingest as the archive app will: seal, time-stamp, record metadata, append to the journal."""
    chain = chain or Chain()
    rows = []
    for i, document in enumerate(documents, start=first_number - 1):
        reference = f"invoice:{i + 1}/facturx-pdf"
        sealed = seal_artefact(data_key, document, reference=reference)
        token = tsa.timestamp(bytes.fromhex(sealed.fingerprint)) if tsa else None
        metadata = {
            "fingerprint": sealed.fingerprint,
            "size": sealed.size,
            "media_type": "application/pdf",
            "number": f"FA-2026-{i + 1:05d}",
            "owner": "user:7",
            "recipient": "customer:3",
            "total_with_vat": "1200.00",
        }
        entry = chain.append(
            kind=Kind.ARTEFACT,
            organisation=data_key.organisation,
            subject=reference,
            payload_digest=payload_digest(metadata),
            recorded_at=start + dt.timedelta(minutes=i),
        )
        rows.append(Row(entry, metadata, sealed.wrapped_key, sealed.blob, token))
    return chain, rows
