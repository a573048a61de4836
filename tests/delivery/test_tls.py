"""TLS to the organisation's server: STARTTLS and implicit TLS, and an untrusted certificate named as such."""

import datetime as dt
import ipaddress
import ssl

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from mailservers import SMTP_PASSWORD, SMTP_USER, SmtpServer, _authenticator, _Handler, free_port

from facturier.delivery import services
from facturier.delivery.services import mail_settings_save

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (its own CA file for the trusting tests)."""
    folder = tmp_path_factory.mktemp("tls")
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
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder


def _context(certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate / "cert.pem", certificate / "key.pem")
    return context


@pytest.fixture
def starttls_server(certificate):
    state = SmtpServer(host="127.0.0.1", port=free_port())
    controller = Controller(_Handler(state), hostname=state.host, port=state.port, authenticator=_authenticator,
                            auth_required=True, tls_context=_context(certificate), require_starttls=True)
    controller.start()
    yield state
    controller.stop()


@pytest.fixture
def tls_server(certificate):
    state = SmtpServer(host="127.0.0.1", port=free_port())
    controller = Controller(_Handler(state), hostname=state.host, port=state.port, authenticator=_authenticator,
                            auth_required=True, auth_require_tls=False, ssl_context=_context(certificate))
    controller.start()
    yield state
    controller.stop()


def configure(owner, server, security):
    mail_settings_save(by=owner, host=server.host, port=server.port, security=security, username=SMTP_USER,
                       password=SMTP_PASSWORD, sender_address="factures@acme.test")


def test_starttls_with_a_trusted_certificate_signs_in(owner, allow_loopback, settings, certificate,
                                                      starttls_server):
    settings.FACTURIER_MAIL_CA_FILE = str(certificate / "cert.pem")
    configure(owner, starttls_server, "starttls")
    report = services.test_connection(by=owner)
    assert report.ok, report.message


def test_implicit_tls_with_a_trusted_certificate_signs_in(owner, allow_loopback, settings, certificate, tls_server):
    settings.FACTURIER_MAIL_CA_FILE = str(certificate / "cert.pem")
    configure(owner, tls_server, "tls")
    report = services.test_connection(by=owner)
    assert report.ok, report.message


def test_an_untrusted_certificate_is_named_as_the_failure(owner, allow_loopback, starttls_server):
    configure(owner, starttls_server, "starttls")
    report = services.test_connection(by=owner)
    assert (report.ok, report.code) == (False, "tls")
    assert "The certificate of 127.0.0.1 is not trusted" in report.message


def test_a_plain_connection_to_a_server_that_requires_starttls_says_so(owner, allow_loopback, starttls_server):
    configure(owner, starttls_server, "none")
    report = services.test_connection(by=owner)
    assert report.ok is False and report.code in ("auth", "server")
