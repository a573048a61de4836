"""Signing certificates: PKCS#12 loading, the details people are shown, demo certificates.

An organisation seals its documents with its own certificate, uploaded as a PKCS#12 file
(.p12/.pfx) with its password; the operator's built-in time-stamp authority has one too.
Neither the file nor the password is kept here: `load_pkcs12` turns them into a
`SigningIdentity` in memory, and the application stores the upload encrypted.

`make_self_signed` makes the certificates a fresh install needs before a real one is
uploaded: the demo organisation's seal (labelled DEMO in its common name, so that every
place showing the holder shows it is a demo) and the operator's TSA certificate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Literal

from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from facturier.engine.errors import EngineError, InputError, Message

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
"""The private keys a seal or a time-stamp authority can use."""
KeyType = Literal["ec", "rsa"]
Purpose = Literal["seal", "tsa"]

DEMO_LABEL = "DEMO"
"""The word a demo certificate carries in its common name."""
RSA_KEY_SIZE = 3072
"""RSA modulus of generated keys (ANSSI RGS: ≥ 3072 bits for use beyond 2030)."""


class CertificateError(EngineError):
    """A certificate or key cannot be used as given."""


class NotPkcs12(CertificateError, InputError):
    """The uploaded file is not a PKCS#12 (.p12/.pfx) file."""


class WrongPassword(CertificateError):
    """The PKCS#12 file is fine but the password does not open it."""


class UnusableCertificate(CertificateError):
    """The PKCS#12 opens but does not hold a usable key and certificate pair."""


@dataclass(frozen=True, slots=True)
class CertificateDetails:
    """What people are shown about a certificate: who holds it, who issued it, until when."""

    holder_common_name: str | None
    """Subject CN: the name the stamp shows."""
    holder_organisation: str | None
    """Subject O."""
    issuer: str
    """The issuer's CN (or its full distinguished name when it has no CN)."""
    serial: str
    """Serial number, in hexadecimal as certificate viewers show it."""
    not_before: dt.datetime
    """Start of validity (UTC)."""
    not_after: dt.datetime
    """End of validity (UTC)."""
    fingerprint_sha256: str
    """SHA-256 of the DER certificate, hexadecimal, colon-separated."""
    self_signed: bool
    """Issuer and subject are the same (a demo or operator certificate)."""

    @classmethod
    def of(cls, certificate: x509.Certificate) -> CertificateDetails:
        subject, issuer = certificate.subject, certificate.issuer
        issuer_cn = _attribute(issuer, NameOID.COMMON_NAME)
        return cls(
            holder_common_name=_attribute(subject, NameOID.COMMON_NAME),
            holder_organisation=_attribute(subject, NameOID.ORGANIZATION_NAME),
            issuer=issuer_cn or issuer.rfc4514_string(),
            serial=f"{certificate.serial_number:X}",
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            fingerprint_sha256=":".join(f"{b:02X}" for b in certificate.fingerprint(hashes.SHA256())),
            self_signed=subject == issuer,
        )

    @property
    def holder(self) -> str:
        """The holder's name as a stamp shows it: CN, else O."""
        return self.holder_common_name or self.holder_organisation or "?"

    @property
    def is_demo(self) -> bool:
        return DEMO_LABEL in (self.holder_common_name or "").upper()

    def expires_within(self, days: int, *, now: dt.datetime | None = None) -> bool:
        """True when the certificate has expired or expires in fewer than `days` days."""
        now = now or dt.datetime.now(dt.UTC)
        return self.not_after - now < dt.timedelta(days=days)

    def is_valid_at(self, moment: dt.datetime) -> bool:
        return self.not_before <= moment <= self.not_after


@dataclass(frozen=True, slots=True, eq=False)
class SigningIdentity:
    """A private key, its certificate and the chain up to (and including) the issuer's root."""

    private_key: SigningKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()
    """The other certificates of the PKCS#12, leaf excluded (intermediates, root)."""

    @property
    def details(self) -> CertificateDetails:
        return CertificateDetails.of(self.certificate)

    @property
    def key_type(self) -> str:
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            return "rsa"
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            return "ec"
        return "ed25519"


def load_pkcs12(data: bytes, password: str) -> SigningIdentity:
    """Open a PKCS#12 file with its password.

    Raises `NotPkcs12` when the bytes are not PKCS#12 (a PEM file, a bare certificate…),
    `WrongPassword` when the password does not open it, and `UnusableCertificate` when it
    holds no private key, no certificate, a key that does not match the certificate or a key
    of a kind that cannot seal.
    """
    if not _looks_like_pfx(data):
        raise NotPkcs12(_NOT_PKCS12)
    try:
        loaded = pkcs12.load_pkcs12(data, password.encode("utf-8") if password else None)
    except ValueError as e:
        if not password:
            # An empty password and no password are different things in PKCS#12.
            try:
                loaded = pkcs12.load_pkcs12(data, b"")
            except ValueError:
                raise WrongPassword(_WRONG_PASSWORD, detail=str(e))
        else:
            raise WrongPassword(_WRONG_PASSWORD, detail=str(e))
    key = loaded.key
    if key is None or loaded.cert is None:
        raise UnusableCertificate(_NO_KEY_OR_CERTIFICATE)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise UnusableCertificate(_UNSUPPORTED_KEY, detail=type(key).__name__)
    certificate = loaded.cert.certificate
    if _public_der(key.public_key()) != _public_der(certificate.public_key()):
        raise UnusableCertificate(_KEY_MISMATCH)
    chain = tuple(c.certificate for c in loaded.additional_certs if c.certificate != certificate)
    return SigningIdentity(private_key=key, certificate=certificate, chain=chain)


def make_self_signed(
    common_name: str,
    organisation: str,
    *,
    days: int,
    key_type: KeyType = "ec",
    purpose: Purpose = "seal",
    password: str = "",
    country: str = "FR",
    now: dt.datetime | None = None,
) -> bytes:
    """A self-signed certificate and its new key, as PKCS#12 bytes opened by `password`.

    purpose "seal": a demo seal; "DEMO" is added to the common name when it is not there
    already, key usage digitalSignature + nonRepudiation. purpose "tsa": the operator's
    time-stamp authority, with extendedKeyUsage timeStamping marked critical (RFC 3161 §2.3).
    EC keys are P-256; RSA keys are 3072 bits.
    """
    if days <= 0:
        raise ValueError("days must be positive")
    if purpose not in ("seal", "tsa"):
        raise ValueError(f"purpose must be 'seal' or 'tsa', not {purpose!r}")
    if purpose == "seal" and DEMO_LABEL not in common_name.upper():
        common_name = f"{common_name} ({DEMO_LABEL})"
    key: SigningKey
    if key_type == "ec":
        key = ec.generate_private_key(ec.SECP256R1())
    elif key_type == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE)
    else:
        raise ValueError(f"key_type must be 'ec' or 'rsa', not {key_type!r}")
    now = now or dt.datetime.now(dt.UTC)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    public_key = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if purpose == "tsa":
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    certificate = builder.sign(key, hashes.SHA256())
    encryption = (
        serialization.BestAvailableEncryption(password.encode("utf-8")) if password else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(common_name.encode("utf-8"), key, certificate, None, encryption)


def certificate_id(certificate: x509.Certificate) -> str:
    """A short stable id of a certificate (first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()[:16]


def _looks_like_pfx(data: bytes) -> bool:
    if not data or data[:1] != b"\x30":
        return False
    try:
        pfx = asn1_pkcs12.Pfx.load(data)
        return pfx["version"].native == "v3" and pfx["auth_safe"]["content_type"].native in ("data", "signed_data")
    except (ValueError, TypeError, KeyError):
        return False


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    if not values:
        return None
    value = values[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _public_der(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


_NOT_PKCS12 = Message(
    fr="Le fichier n'est pas un certificat PKCS#12 (.p12 ou .pfx). Exportez le certificat avec sa clé "
    "privée au format PKCS#12 depuis votre navigateur ou l'outil de votre autorité de certification.",
    en="The file is not a PKCS#12 certificate (.p12 or .pfx). Export the certificate with its private "
    "key in PKCS#12 format from your browser or your certificate authority's tool.",
)
_WRONG_PASSWORD = Message(
    fr="Mot de passe du certificat incorrect. Saisissez le mot de passe choisi lors de l'export du fichier .p12/.pfx.",
    en="Incorrect certificate password. Enter the password chosen when the .p12/.pfx file was exported.",
)
_NO_KEY_OR_CERTIFICATE = Message(
    fr="Le fichier PKCS#12 ne contient pas à la fois un certificat et sa clé privée. Exportez le "
    "certificat en incluant la clé privée.",
    en="The PKCS#12 file does not hold both a certificate and its private key. Export the certificate "
    "including its private key.",
)
_UNSUPPORTED_KEY = Message(
    fr="La clé privée du certificat n'est ni RSA, ni ECDSA, ni Ed25519 : elle ne peut pas servir à "
    "sceller des documents.",
    en="The certificate's private key is neither RSA, ECDSA nor Ed25519: it cannot seal documents.",
)
_KEY_MISMATCH = Message(
    fr="La clé privée du fichier PKCS#12 ne correspond pas à son certificat. Exportez à nouveau le "
    "certificat avec sa propre clé.",
    en="The private key in the PKCS#12 file does not match its certificate. Export the certificate "
    "again with its own key.",
)


def raw_sign(key: SigningKey, data: bytes, hash_algorithm: str) -> bytes:
    """Sign `data` as CMS expects: RSA PKCS#1 v1.5, ECDSA (DER signature) or Ed25519.

    `hash_algorithm` is an asn1crypto name ("sha256"…); Ed25519 ignores it.
    """
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    algorithm = _HASHES[hash_algorithm]()
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), algorithm)
    return key.sign(data, ec.ECDSA(algorithm))


def cms_signature_algorithm(key: SigningKey, hash_algorithm: str) -> str:
    """The asn1crypto SignedDigestAlgorithm name `raw_sign` produces ("sha256_rsa", "sha256_ecdsa"…)."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    return f"{hash_algorithm}_{'rsa' if isinstance(key, rsa.RSAPrivateKey) else 'ecdsa'}"


_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
