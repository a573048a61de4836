"""HTTPS receivers: a certificate signed by a private CA is trusted only through FACTURIER_OUTBOUND_CA_FILE,
and a failed handshake is retried with the TLS step named."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from webhook_receiver import Receiver

from facturier.api.models import WebhookDelivery, WebhookDeliveryState
from facturier.api.webhook_sender import webhooks_flush
from facturier.api.webhooks import endpoint_create, webhook_send_test

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, which is its own CA file."""
    folder = tmp_path_factory.mktemp("webhook-tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder


@pytest.fixture
def https_receiver(settings, certificate):
    settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate / "cert.pem", certificate / "key.pem")
    r = Receiver(context)
    yield r
    r.close()


def test_an_https_receiver_signed_by_a_private_ca_is_reached_when_the_operator_trusts_it(
        org, owner, https_receiver, settings, certificate):
    settings.FACTURIER_OUTBOUND_CA_FILE = str(certificate / "cert.pem")
    endpoint, https_receiver.secret = endpoint_create(by=owner, url=https_receiver.url, events=["document.issued"])
    webhook_send_test(by=owner, endpoint_id=endpoint.pk)
    assert webhooks_flush(organisation_id=org.pk).delivered == 1
    assert len(https_receiver.requests) == 1 and https_receiver.requests[0].signed


def test_an_untrusted_certificate_is_named_and_retried_and_nothing_is_sent(org, owner, https_receiver, settings):
    settings.FACTURIER_OUTBOUND_CA_FILE = ""
    endpoint, _secret = endpoint_create(by=owner, url=https_receiver.url, events=["document.issued"])
    webhook_send_test(by=owner, endpoint_id=endpoint.pk)
    assert webhooks_flush(organisation_id=org.pk).rescheduled == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == WebhookDeliveryState.PENDING and "(TLS)" in delivery.last_error
    assert delivery.transfer_started_at is None  # refused before the request: it never left
    assert https_receiver.requests == []
