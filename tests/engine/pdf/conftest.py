"""Fixtures of the sealing and time-stamping tests.

Everything is made in the test session: the invoice visual is compiled by Typst (PDF/A-3b)
and packed with the official Factur-X EN 16931 example (the repository's copy in conformance/), the
certificates are generated, and the time-stamp authority is our own, served over HTTP on
127.0.0.1. Nothing leaves the machine.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typst
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from facturier.engine.facturx.pack import pack_facturx
from facturier.engine.pdf.certificates import SigningIdentity, load_pkcs12, make_self_signed
from facturier.engine.pdf.tsa import TimeStampAuthority, TimeStampClient, TimeStampServer

TSA_POLICY = "1.3.6.1.4.1.99999.3161.1"
"""A policy OID for the test authority (private arc; no meaning outside these tests)."""

SEAL_INVOICE_PAGE = """\
#set document(title: "Facture F-2026-0042", author: "ACME SAS")
#set page(paper: "a4")
#set text(lang: "fr")
= Facture F-2026-0042
Vendeur : ACME SAS — SIREN 884 123 456 #linebreak()
Client : Dupont SARL #linebreak()
Total HT : 1 000,00 € — TVA 20 % : 200,00 € — Total TTC : 1 200,00 €
"""


@pytest.fixture(scope="session")
def seal_xml(conformance_dir: Path) -> bytes:
    """The official Factur-X EN 16931 example, read in place."""
    return (conformance_dir / "facturx-lib-fixtures" / "xml" / "factur-x-en16931.xml").read_bytes()


@pytest.fixture(scope="session")
def seal_facturx(tmp_path_factory, seal_xml: bytes) -> bytes:
    """A one-page Factur-X (EN 16931): a Typst PDF/A-3b visual packed with the official XML."""
    tmp = tmp_path_factory.mktemp("seal-visual")
    source = tmp / "invoice.typ"
    source.write_text(SEAL_INVOICE_PAGE, encoding="utf-8")
    visual = typst.Compiler(str(source), root=str(tmp)).compile(format="pdf", pdf_standards=["a-3b"])
    return pack_facturx(visual, seal_xml, conformance_level="EN 16931")


@pytest.fixture(scope="session")
def seal_identities() -> dict[str, SigningIdentity]:
    """Demo seal identities, one per key type."""
    return {
        key_type: load_pkcs12(
            make_self_signed("ACME SAS", "ACME SAS", days=365, key_type=key_type, password="s3cret"), "s3cret"
        )
        for key_type in ("ec", "rsa")
    }


@pytest.fixture(scope="session")
def tsa_identity() -> SigningIdentity:
    """The operator's time-stamp authority identity."""
    return load_pkcs12(make_self_signed("Facturier TSA", "Opérateur Facturier", days=365, purpose="tsa"), "")


@pytest.fixture(scope="session")
def tsa_authority(tsa_identity: SigningIdentity) -> TimeStampAuthority:
    return TimeStampAuthority(tsa_identity, TSA_POLICY)


@pytest.fixture(scope="session")
def tsa_server(tsa_authority: TimeStampAuthority) -> Iterator[TimeStampServer]:
    """The built-in TSA answering RFC 3161 over HTTP on 127.0.0.1 (an ephemeral port)."""
    with tsa_authority.serve("127.0.0.1", 0) as server:
        yield server


@pytest.fixture(scope="session")
def tsa_client(tsa_server: TimeStampServer) -> TimeStampClient:
    """A client of the loopback TSA (loopback explicitly allowed)."""
    return TimeStampClient(tsa_server.url, timeout=10, allow_private=True)


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


@pytest.fixture
def validate_signatures() -> Callable[..., list]:
    """pyHanko's validation of every signature of a PDF, trusting only the given certificates."""

    def validate(pdf: bytes, *, trust: list[x509.Certificate]) -> list:
        reader = PdfFileReader(io.BytesIO(pdf))
        context = ValidationContext(trust_roots=[_asn1(c) for c in trust], allow_fetching=False)
        return [validate_pdf_signature(signature, context) for signature in reader.embedded_signatures]

    return validate


@pytest.fixture
def judge_signed(oracle_path: Path, tmp_path: Path) -> Callable[[bytes], dict]:
    """The referee with its signature checks: exit code, JSON report and output."""

    def judge(pdf: bytes) -> dict:
        path = tmp_path / "sealed.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(
            [str(oracle_path), "--signatures", "--json", str(path)], capture_output=True, text=True, check=False
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        return {
            "returncode": done.returncode,
            "report": json.loads(lines[0]) if lines else {},
            "output": done.stdout + done.stderr,
        }

    return judge


@pytest.fixture(scope="session")
def openssl() -> str:
    """The openssl executable; skips the test when it is not installed."""
    path = shutil.which("openssl")
    if path is None:
        pytest.skip("openssl is not installed")
    return path
