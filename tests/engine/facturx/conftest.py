"""Fixtures of the Factur-X container tests: visuals rendered by Typst at test time.

No binary fixture lives in the repository: every PDF is compiled (PDF/A-3b) or derived with
pikepdf inside the test session; the official XML and sample PDF are read in place.
"""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
import typst

INVOICE_PAGE = """\
#set document(title: "Facture F-2026-0001", author: "ACME SAS")
#set page(paper: "a4")
#set text(lang: "fr")
= Facture F-2026-0001
Vendeur : ACME SAS — SIREN 884 123 456 #linebreak()
Client : Dupont SARL #linebreak()
Total HT : 1 000,00 € — TVA 20 % : 200,00 € — Total TTC : 1 200,00 €
"""


def _render(tmp: Path, source: str, *, pdfa: bool = True) -> bytes:
    """Compile a Typst source to PDF (PDF/A-3b unless told otherwise)."""
    path = tmp / "visual.typ"
    path.write_text(source, encoding="utf-8")
    standards = ["a-3b"] if pdfa else []
    return typst.Compiler(str(path), root=str(tmp)).compile(format="pdf", pdf_standards=standards)


@pytest.fixture(scope="session")
def visual(tmp_path_factory) -> bytes:
    """A one-page invoice visual, PDF/A-3b, as Typst renders it."""
    return _render(tmp_path_factory.mktemp("visual"), INVOICE_PAGE)


@pytest.fixture
def render(tmp_path: Path) -> Callable[..., bytes]:
    """Compile a Typst source (files it reads go in tmp_path) to PDF/A-3b, or to plain PDF."""

    def compile_(source: str, *, pdfa: bool = True) -> bytes:
        return _render(tmp_path, source, pdfa=pdfa)

    return compile_


@pytest.fixture
def attach() -> Callable[..., bytes]:
    """Add an embedded file to a PDF with pikepdf (a fixture maker, not a Factur-X packer)."""
    return _with_attachment


@pytest.fixture(scope="session")
def facturx_xml_dir(conformance_dir: Path) -> Path:
    return conformance_dir / "facturx-lib-fixtures" / "xml"


@pytest.fixture(scope="session")
def en16931_xml(facturx_xml_dir: Path) -> bytes:
    """The official Factur-X EN 16931 example, read in place."""
    return (facturx_xml_dir / "factur-x-en16931.xml").read_bytes()


@pytest.fixture(scope="session")
def official_sample_pdf(conformance_dir: Path) -> bytes:
    """The Factur-X sample PDF shipped with the factur-x library's fixtures."""
    return (conformance_dir / "facturx-lib-fixtures" / "pdf" / "invoice_EN16931.pdf").read_bytes()


@pytest.fixture
def oracle(oracle_path: Path, tmp_path: Path) -> Callable[[bytes], dict]:
    """Judge one PDF with the referee; returns its JSON report plus the exit code."""

    def judge(data: bytes) -> dict:
        path = tmp_path / "judged.pdf"
        path.write_bytes(data)
        done = subprocess.run([str(oracle_path), "--json", str(path)], capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        report = json.loads(lines[-1]) if lines else {}
        return {"returncode": done.returncode, "report": report, "output": done.stdout + done.stderr}

    return judge


def _with_attachment(pdf: bytes, name: str, data: bytes, *, mime_type: str = "text/xml") -> bytes:
    """`pdf` rewritten by pikepdf with one more embedded file (a fixture, not a Factur-X)."""
    document = pikepdf.open(io.BytesIO(pdf))
    spec = pikepdf.AttachedFileSpec(document, data, mime_type=mime_type, filename=name)
    document.attachments[name] = spec
    document.Root.AF = pikepdf.Array([document.attachments[name].obj])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
