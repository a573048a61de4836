"""Sealing certificates: PKCS#12 upload errors people understand, details, demo and TSA certificates."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from facturier.engine.errors import EngineError
from facturier.engine.pdf.certificates import (
    CertificateDetails,
    NotPkcs12,
    WrongPassword,
    load_pkcs12,
    make_self_signed,
)


@pytest.fixture(scope="module")
def demo_p12() -> bytes:
    return make_self_signed("ACME SAS", "ACME SAS", days=365, password="correct horse")


def test_wrong_pkcs12_password_raises_a_typed_error_in_french_and_english(demo_p12):
    with pytest.raises(WrongPassword) as caught:
        load_pkcs12(demo_p12, "battery staple")

    assert isinstance(caught.value, EngineError)
    assert caught.value.message.fr.startswith("Mot de passe du certificat incorrect")
    assert caught.value.message.en.startswith("Incorrect certificate password")


@pytest.mark.parametrize(
    "data",
    [b"", b"-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n", b"\x30\x03\x02\x01\x05", b"%PDF-1.7"],
)
def test_a_file_that_is_not_pkcs12_is_named_as_such(data):
    with pytest.raises(NotPkcs12) as caught:
        load_pkcs12(data, "whatever")

    assert "PKCS#12" in caught.value.message.fr and "PKCS#12" in caught.value.message.en


def test_pkcs12_opens_with_its_password_into_a_frozen_identity(demo_p12):
    identity = load_pkcs12(demo_p12, "correct horse")

    assert isinstance(identity.private_key, ec.EllipticCurvePrivateKey)
    assert identity.key_type == "ec"
    with pytest.raises(AttributeError):
        identity.certificate = None  # frozen


def test_demo_certificate_says_demo_in_its_holder_name(demo_p12):
    details = load_pkcs12(demo_p12, "correct horse").details

    assert details.holder == "ACME SAS (DEMO)"
    assert details.is_demo and details.self_signed
    assert details.holder_organisation == "ACME SAS"
    assert details.issuer == "ACME SAS (DEMO)"


def test_tsa_certificate_is_restricted_to_time_stamping():
    identity = load_pkcs12(make_self_signed("Facturier TSA", "Opérateur", days=30, purpose="tsa", key_type="rsa"), "")

    eku = identity.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert isinstance(identity.private_key, rsa.RSAPrivateKey) and identity.private_key.key_size >= 3072
    assert not identity.details.is_demo


def test_details_warn_thirty_days_before_expiry():
    now = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    identity = load_pkcs12(make_self_signed("ACME SAS", "ACME SAS", days=45, now=now), "")
    details = CertificateDetails.of(identity.certificate)

    assert details.not_after == now + dt.timedelta(days=45)
    assert not details.expires_within(30, now=now)
    assert details.expires_within(30, now=now + dt.timedelta(days=20))
    assert details.expires_within(30, now=now + dt.timedelta(days=60))  # expired: still flagged
    assert details.is_valid_at(now) and not details.is_valid_at(now + dt.timedelta(days=46))
    assert len(details.serial) >= 16 and details.fingerprint_sha256.count(":") == 31
