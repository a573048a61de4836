"""Secure XML input: hostile documents are refused cleanly, sloppy-but-honest ones are read."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from facturier.engine.errors import InputError, InputTooLarge, MalformedXML, UnsupportedDocument
from facturier.engine.xml import (
    CBC,
    RAM,
    RSM,
    UBL_CREDIT_NOTE,
    UBL_INVOICE,
    DocumentKind,
    detect,
    parse_xml,
    profile_hint,
)


def cii(guideline: str | None = "urn:cen.eu:en16931:2017", body: str = "") -> bytes:
    context = (
        "<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>"
        f"<ram:ID>{guideline}</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>"
        "</rsm:ExchangedDocumentContext>"
        if guideline is not None
        else "<rsm:ExchangedDocumentContext/>"
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rsm:CrossIndustryInvoice xmlns:rsm="{RSM}" xmlns:ram="{RAM}">'
        f"{context}<rsm:ExchangedDocument><ram:ID>F-2026-001</ram:ID>{body}</rsm:ExchangedDocument>"
        "</rsm:CrossIndustryInvoice>"
    ).encode()


def ubl(root: str = "Invoice", customization: str = "urn:cen.eu:en16931:2017") -> bytes:
    ns = UBL_INVOICE if root == "Invoice" else UBL_CREDIT_NOTE
    return (
        f'<{root} xmlns="{ns}" xmlns:cbc="{CBC}"><cbc:CustomizationID>{customization}</cbc:CustomizationID>'
        f"<cbc:ID>F-1</cbc:ID></{root}>"
    ).encode()


# --- hostile input ---------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""


def test_billion_laughs_is_refused_without_expansion():
    with pytest.raises(MalformedXML) as exc:
        parse_xml(BILLION_LAUGHS)
    assert "DOCTYPE" in exc.value.message.fr
    assert "DOCTYPE" in exc.value.message.en


def test_external_entity_is_refused_and_never_read():
    xxe = (
        b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        b'<rsm:CrossIndustryInvoice xmlns:rsm="' + RSM.encode() + b'">&xxe;</rsm:CrossIndustryInvoice>'
    )
    with pytest.raises(MalformedXML) as exc:
        parse_xml(xxe)
    assert "root:" not in str(exc.value)


def test_entity_declaration_in_utf16_is_refused_too():
    doc = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>'.encode("utf-16")
    with pytest.raises(MalformedXML):
        parse_xml(doc)


@pytest.fixture
def http_server():
    """A loopback HTTP server that counts the requests it receives."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            hits.append(self.path)
            body = b'<!ENTITY leak "leaked">'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def test_external_dtd_over_http_is_refused_without_any_request(http_server):
    url, hits = http_server
    doc = f'<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "{url}/evil.dtd">\n<r>&leak;</r>'.encode()
    with pytest.raises(MalformedXML):
        parse_xml(doc)
    param_entity = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "{url}/p.dtd"> %p;]><r/>'.encode()
    with pytest.raises(MalformedXML):
        parse_xml(param_entity)
    assert hits == []


def test_sixty_megabyte_document_is_refused_before_parsing():
    chunk = b"<ram:IncludedNote><ram:Content>" + b"x" * 1000 + b"</ram:Content></ram:IncludedNote>"
    big = cii(body=(chunk * (60 * 1024)).decode())
    assert len(big) > 60 * 1024 * 1024
    with pytest.raises(InputTooLarge) as exc:
        parse_xml(big)
    assert exc.value.message.fr and exc.value.message.en
    del big


def test_pathologically_deep_nesting_is_malformed():
    with pytest.raises(MalformedXML) as exc:
        parse_xml(b"<a>" * 100_000 + b"</a>" * 100_000)
    assert "depth" in exc.value.detail


def test_size_limit_is_configurable():
    doc = cii()
    with pytest.raises(InputTooLarge):
        parse_xml(doc, max_bytes=len(doc) - 1)
    assert parse_xml(doc, max_bytes=len(doc)) is not None


def test_truncated_xml_is_malformed_with_line_and_column():
    doc = cii(body="<ram:Name>Facture de mars</ram:Name>")
    with pytest.raises(MalformedXML) as exc:
        parse_xml(doc[: len(doc) // 2])
    assert "line 2" in exc.value.detail
    assert "column" in exc.value.detail


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
        bytes(range(256)),
        b"Facture n\xc2\xb0 12, total 120 EUR",
        b"",
        b"   \n",
        b"\xef\xbb\xbf",
    ],
    ids=["pdf", "binary", "text", "empty", "blank", "bom-only"],
)
def test_non_xml_bytes_are_malformed(data):
    with pytest.raises(MalformedXML):
        parse_xml(data)


def test_refusals_are_input_errors_with_both_languages():
    for data in (BILLION_LAUGHS, b"<a>", b"junk"):
        with pytest.raises(InputError) as exc:
            parse_xml(data)
        assert exc.value.message.fr != exc.value.message.en


# --- sloppy but honest input -----------------------------------------------------------------


def test_utf8_bom_is_stripped():
    root = parse_xml(b"\xef\xbb\xbf" + cii())
    assert detect(root).syntax == "cii"


def test_bom_prefixed_official_example_is_read():
    example = Path(__file__).resolve().parents[2] / "conformance/en16931-1.3.16/examples/cii/CII_example1.xml"
    data = example.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    kind = detect(parse_xml(b"\xef\xbb\xbf" + data))
    assert (kind.syntax, kind.profile_hint) == ("cii", "en16931")


def test_iso_8859_1_declaration_over_utf8_bytes_reads_the_utf8_text():
    doc = '<?xml version="1.0" encoding="ISO-8859-1"?><r>Société Générale — 12 €</r>'.encode()
    assert parse_xml(doc).text == "Société Générale — 12 €"


def test_genuine_iso_8859_1_is_read_as_declared():
    doc = '<?xml version="1.0" encoding="ISO-8859-1"?><r>Société Générale</r>'.encode("latin-1")
    assert parse_xml(doc).text == "Société Générale"


def test_utf8_declaration_over_windows_1252_bytes_is_read():
    doc = '<?xml version="1.0" encoding="UTF-8"?><r>Payé 12 €</r>'.encode("cp1252")
    assert parse_xml(doc).text == "Payé 12 €"


def test_utf16_declaration_over_utf8_bytes_reads_the_utf8_text():
    doc = '<?xml version="1.0" encoding="UTF-16"?><r>Crème brûlée</r>'.encode()
    assert parse_xml(doc).text == "Crème brûlée"


def test_unknown_encoding_name_falls_back_on_the_bytes():
    doc = '<?xml version="1.0" encoding="latin-9-ish"?><r>Crème</r>'.encode()
    assert parse_xml(doc).text == "Crème"


def test_honest_iso_8859_15_is_read_as_declared():
    doc = '<?xml version="1.0" encoding="ISO-8859-15"?><r>12 €</r>'.encode("iso-8859-15")
    assert parse_xml(doc).text == "12 €"


def test_utf16_document_is_read():
    doc = '<?xml version="1.0" encoding="UTF-16"?><r>Crème</r>'.encode("utf-16")
    assert parse_xml(doc).text == "Crème"


def test_comments_and_processing_instructions_before_the_root_are_fine():
    doc = b'<?xml version="1.0"?><!-- made by X --><?x-meta a="1"?>\n' + cii().split(b"?>", 1)[1]
    assert detect(parse_xml(doc)).root == "CrossIndustryInvoice"


def test_doctype_text_inside_content_is_not_mistaken_for_a_declaration():
    doc = cii(body="<ram:Name><![CDATA[<!DOCTYPE html> in a note]]></ram:Name>")
    assert detect(parse_xml(doc)).syntax == "cii"


# --- detection -------------------------------------------------------------------------------


def test_cii_is_detected_with_its_guideline_and_profile():
    kind = detect(parse_xml(cii("urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended")))
    assert kind == DocumentKind(
        syntax="cii",
        root="CrossIndustryInvoice",
        guideline_id="urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
        profile_hint="extended",
    )


def test_cii_without_guideline_has_no_profile():
    kind = detect(parse_xml(cii(None)))
    assert (kind.guideline_id, kind.profile_hint) == (None, None)


@pytest.mark.parametrize("root", ["Invoice", "CreditNote"])
def test_ubl_invoice_and_credit_note_are_detected(root):
    kind = detect(parse_xml(ubl(root, "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0")))
    assert (kind.syntax, kind.root, kind.profile_hint) == ("ubl", root, "peppol")


@pytest.mark.parametrize(
    ("guideline", "profile"),
    [
        ("urn:factur-x.eu:1p0:minimum", "minimum"),
        ("urn:factur-x.eu:1p0:basicwl", "basicwl"),
        ("urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", "basic"),
        ("urn:cen.eu:en16931:2017", "en16931"),
        ("urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", "extended"),
        ("urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr", "extended-ctc-fr"),
        ("urn:zugferd.de:2p0:minimum", "minimum"),
        ("urn:zugferd.de:2p0:basicwl", "basicwl"),
        ("urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:basic", "basic"),
        ("urn:cen.eu:en16931:2017#conformant#urn:zugferd.de:2p0:extended", "extended"),
        ("urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0", "xrechnung"),
        ("urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0", "peppol"),
        ("  urn:cen.eu:en16931:2017  ", "en16931"),
        ("urn:ferd:CrossIndustryDocument:invoice:1p0:comfort", None),
        ("urn:example:something", None),
        ("", None),
    ],
)
def test_profile_hint_from_guideline_id(guideline, profile):
    assert profile_hint(guideline) == profile


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        (
            b"<rsm:SCRDMCCBDACIOMessageStructure "
            b'xmlns:rsm="urn:un:unece:uncefact:data:SCRDMCCBDACIOMessageStructure:100"/>',
            "Order-X",
        ),
        (
            b'<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"/>',
            "ZUGFeRD 1.0",
        ),
        (
            b'<rsm:CrossDomainAcknowledgementAndResponse xmlns:rsm="urn:un:unece:uncefact:data:standard:'
            b'CrossDomainAcknowledgementAndResponse:100"/>',
            "CDAR",
        ),
        (b'<Invoice xmlns="urn:example:not-ubl"/>', "urn:example:not-ubl"),
        (b"<html><body>Facture</body></html>", "html"),
    ],
    ids=["order-x", "zugferd-1", "cdar", "foreign-invoice", "html"],
)
def test_other_documents_are_unsupported_and_named(doc, says):
    with pytest.raises(UnsupportedDocument) as exc:
        detect(parse_xml(doc))
    assert says in exc.value.message.en
    assert says in exc.value.message.fr
