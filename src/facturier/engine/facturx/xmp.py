"""XMP metadata of a Factur-X file: add the Factur-X properties, read them back.

A Factur-X PDF declares its embedded invoice in the XMP packet with four properties of the
`fx` namespace (DocumentType, DocumentFileName, Version, ConformanceLevel). PDF/A only allows
custom properties that a PDF/A extension schema describes, so the packet also carries a
`pdfaExtension:schemas` entry for them. Everything else in the packet (pdfaid, dc, xmp, xmpMM…)
is kept as the renderer wrote it: this module merges, it never replaces the packet.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from facturier.engine.errors import Message, PdfError

FX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
"""Factur-X 1.0 (and ZUGFeRD 2.x) XMP namespace."""
ZUGFERD2_XRECHNUNG_NS = "urn:zugferd:pdfa:CrossIndustryDocument:invoice:2p0#"
"""Namespace ZUGFeRD 2.1+ uses for an embedded XRechnung."""
ZUGFERD1_NS = "urn:ferd:pdfa:CrossIndustryDocument:invoice:1p0#"
"""ZUGFeRD 1.0 namespace."""
INVOICE_NAMESPACES = (FX_NS, ZUGFERD2_XRECHNUNG_NS, ZUGFERD1_NS)

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
X_NS = "adobe:ns:meta/"
PDFAID_NS = "http://www.aiim.org/pdfa/ns/id/"
PDFA_EXTENSION_NS = "http://www.aiim.org/pdfa/ns/extension/"
PDFA_SCHEMA_NS = "http://www.aiim.org/pdfa/ns/schema#"
PDFA_PROPERTY_NS = "http://www.aiim.org/pdfa/ns/property#"

# PDF/A checkers look the extension schema up by these exact prefixes.
_EXTENSION_NSMAP = {
    "pdfaExtension": PDFA_EXTENSION_NS,
    "pdfaSchema": PDFA_SCHEMA_NS,
    "pdfaProperty": PDFA_PROPERTY_NS,
    "rdf": RDF_NS,
}
_FX_PROPERTIES = (
    ("DocumentFileName", "The name of the embedded XML document"),
    ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
    ("Version", "The actual version of the standard applying to the embedded XML document"),
    ("ConformanceLevel", "The conformance level of the embedded XML document"),
)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_RDF = f"{{{RDF_NS}}}"


@dataclass(frozen=True, slots=True)
class XmpFacts:
    """What the XMP packet says about PDF/A conformance and the embedded invoice."""

    pdfa_part: str | None
    pdfa_conformance: str | None
    document_type: str | None
    document_file_name: str | None
    version: str | None
    conformance_level: str | None
    invoice_namespace: str | None = None
    """The namespace the invoice properties are written in (Factur-X, ZUGFeRD 2 XRechnung, ZUGFeRD 1)."""
    extensions: tuple[tuple[str, frozenset[str]], ...] = ()
    """The PDF/A extension schemas of the packet: (namespaceURI, names of the properties it describes)."""


def _parse(xmp: bytes) -> etree._Element:
    try:
        root = etree.fromstring(xmp, _PARSER)
    except etree.XMLSyntaxError as e:
        raise PdfError(
            Message(
                fr="Les métadonnées XMP du PDF ne sont pas du XML valide. Régénérez le PDF.",
                en="The PDF's XMP metadata is not well-formed XML. Regenerate the PDF.",
            ),
            detail=str(e),
        ) from e
    return root


def _rdf_of(root: etree._Element) -> etree._Element:
    if root.tag == f"{_RDF}RDF":
        return root
    rdf = root.find(f"{_RDF}RDF")
    if rdf is None:
        raise PdfError(
            Message(
                fr="Les métadonnées XMP du PDF ne contiennent pas de bloc rdf:RDF.",
                en="The PDF's XMP metadata has no rdf:RDF block.",
            )
        )
    return rdf


def _property(rdf: etree._Element, namespaces: tuple[str, ...], name: str) -> str | None:
    """A simple property, written as an element or as an attribute of rdf:Description."""
    for description in rdf.iterchildren(f"{_RDF}Description"):
        for ns in namespaces:
            value = description.get(f"{{{ns}}}{name}")
            if value is None:
                child = description.find(f"{{{ns}}}{name}")
                value = child.text if child is not None else None
            if value is not None and value.strip():
                return value.strip()
    return None


def read_facts(xmp: bytes) -> XmpFacts:
    """Read the PDF/A identification and the Factur-X (or ZUGFeRD) properties of a packet."""
    rdf = _rdf_of(_parse(xmp))
    return XmpFacts(
        pdfa_part=_property(rdf, (PDFAID_NS,), "part"),
        pdfa_conformance=_property(rdf, (PDFAID_NS,), "conformance"),
        document_type=_property(rdf, INVOICE_NAMESPACES, "DocumentType"),
        document_file_name=_property(rdf, INVOICE_NAMESPACES, "DocumentFileName"),
        version=_property(rdf, INVOICE_NAMESPACES, "Version"),
        conformance_level=_property(rdf, INVOICE_NAMESPACES, "ConformanceLevel"),
        invoice_namespace=_invoice_namespace(rdf),
        extensions=tuple(_extension_schemas(rdf)),
    )


def _invoice_namespace(rdf: etree._Element) -> str | None:
    """The first invoice namespace (by INVOICE_NAMESPACES order) that holds one of the four properties."""
    for ns in INVOICE_NAMESPACES:
        if any(_property(rdf, (ns,), name) is not None for name, _ in _FX_PROPERTIES):
            return ns
    return None


def _extension_schemas(rdf: etree._Element):
    """(namespaceURI, property names) of every pdfaExtension:schemas entry, however it is written."""
    for schemas in rdf.iter(f"{{{PDFA_EXTENSION_NS}}}schemas"):
        for li in schemas.iter(f"{_RDF}li"):
            uri = f"{{{PDFA_SCHEMA_NS}}}namespaceURI"
            if li.find(uri) is None and li.get(uri) is None:
                continue  # a property's rdf:li, not a schema's
            names = {(e.text or "").strip() for e in li.iter(f"{{{PDFA_PROPERTY_NS}}}name")}
            names |= {e.get(f"{{{PDFA_PROPERTY_NS}}}name", "").strip() for e in li.iter()}
            yield _schema_namespace(li) or "", frozenset(names - {""})


def _drop_invoice_properties(rdf: etree._Element) -> None:
    """Remove earlier Factur-X/ZUGFeRD properties, so that packing twice declares them once."""
    for description in list(rdf.iterchildren(f"{_RDF}Description")):
        for child in list(description):
            if isinstance(child.tag, str) and etree.QName(child).namespace in INVOICE_NAMESPACES:
                description.remove(child)
        for attribute in list(description.attrib):
            if etree.QName(attribute).namespace in INVOICE_NAMESPACES:
                del description.attrib[attribute]
        if len(description) == 0 and set(description.attrib) <= {f"{_RDF}about"}:
            rdf.remove(description)


def _schema_namespace(li: etree._Element) -> str | None:
    found = li.find(f".//{{{PDFA_SCHEMA_NS}}}namespaceURI")
    if found is not None:
        return (found.text or "").strip()
    for element in li.iter():
        value = element.get(f"{{{PDFA_SCHEMA_NS}}}namespaceURI")
        if value is not None:
            return value.strip()
    return None


def _extension_bag(rdf: etree._Element) -> etree._Element:
    """The rdf:Bag of pdfaExtension:schemas, created if the packet has none yet."""
    schemas = rdf.find(f"{_RDF}Description/{{{PDFA_EXTENSION_NS}}}schemas")
    if schemas is None:
        description = etree.SubElement(rdf, f"{_RDF}Description", nsmap=_EXTENSION_NSMAP)
        description.set(f"{_RDF}about", "")
        schemas = etree.SubElement(description, f"{{{PDFA_EXTENSION_NS}}}schemas")
    bag = schemas.find(f"{_RDF}Bag")
    if bag is None:
        bag = etree.SubElement(schemas, f"{_RDF}Bag")
    for li in list(bag.iterchildren(f"{_RDF}li")):
        if _schema_namespace(li) in INVOICE_NAMESPACES:
            bag.remove(li)
    return bag


def _add_extension_schema(bag: etree._Element) -> None:
    li = etree.SubElement(bag, f"{_RDF}li", nsmap=_EXTENSION_NSMAP)
    li.set(f"{_RDF}parseType", "Resource")
    etree.SubElement(li, f"{{{PDFA_SCHEMA_NS}}}schema").text = "Factur-X PDFA Extension Schema"
    etree.SubElement(li, f"{{{PDFA_SCHEMA_NS}}}namespaceURI").text = FX_NS
    etree.SubElement(li, f"{{{PDFA_SCHEMA_NS}}}prefix").text = "fx"
    seq = etree.SubElement(etree.SubElement(li, f"{{{PDFA_SCHEMA_NS}}}property"), f"{_RDF}Seq")
    for name, description in _FX_PROPERTIES:
        prop = etree.SubElement(seq, f"{_RDF}li")
        prop.set(f"{_RDF}parseType", "Resource")
        etree.SubElement(prop, f"{{{PDFA_PROPERTY_NS}}}name").text = name
        etree.SubElement(prop, f"{{{PDFA_PROPERTY_NS}}}valueType").text = "Text"
        etree.SubElement(prop, f"{{{PDFA_PROPERTY_NS}}}category").text = "external"
        etree.SubElement(prop, f"{{{PDFA_PROPERTY_NS}}}description").text = description


def with_facturx(
    xmp: bytes,
    *,
    conformance_level: str,
    filename: str,
    document_type: str = "INVOICE",
    version: str = "1.0",
) -> bytes:
    """The packet `xmp` with the Factur-X properties and their PDF/A extension schema.

    Existing Factur-X or ZUGFeRD properties and extension schemas are replaced; every other
    property, the xpacket wrapper included, is kept.
    """
    root = _parse(xmp)
    rdf = _rdf_of(root)
    _drop_invoice_properties(rdf)
    _add_extension_schema(_extension_bag(rdf))
    description = etree.SubElement(rdf, f"{_RDF}Description", nsmap={"fx": FX_NS})
    description.set(f"{_RDF}about", "")
    for name, value in (
        ("DocumentType", document_type),
        ("DocumentFileName", filename),
        ("Version", version),
        ("ConformanceLevel", conformance_level),
    ):
        etree.SubElement(description, f"{{{FX_NS}}}{name}").text = value
    return etree.tostring(root.getroottree(), encoding="utf-8", xml_declaration=False)
