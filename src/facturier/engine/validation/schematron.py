"""The official schematron rules, run as the compiled XSLTs of the repository's conformance folder.

Rule sets, chosen by the document's syntax and guideline id (BT-24):

- CEN EN 16931 1.3.16, for CII or UBL, on every document that claims EN 16931 or a CIUS or
  extension of it. Factur-X MINIMUM and BASIC WL are below EN 16931 and EXTENDED goes
  beyond it: their own profile rules judge them, not the CEN rules.
- the Factur-X 1.09 / ZUGFeRD 2.5.2 profile rules, for a CII whose guideline id names a
  Factur-X profile (MINIMUM … EXTENDED, and EXTENDED-CTC-FR, built on EXTENDED);
- XRechnung 3.0.2, for an XRechnung guideline id;
- Peppol BIS Billing 3.0, for a Peppol guideline id: its rules are not part of the material
  the project carries, so the report says they could not run (``Report.not_run``), never a pass;
- the French CTC rules BR-FR (Flux 2), and EXTENDED-CTC-FR for that profile, when asked.

Where two sets report the same rule (the Factur-X XSLTs embed copies of CEN rules), the
finding of the set that owns the rule is kept, with that set's severity, and the copy is
dropped: CII-SR-465 is a warning, as CEN 1.3.16 flags it.

Saxon runs them. Compiling one of these XSLTs takes a quarter of a second to several
seconds, so each is compiled once per process into an executable and reused; all calls
into Saxon go through one processor guarded by one lock.

The output is SVRL. The Factur-X XSLTs flag only their warnings: a ``failed-assert``
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
from facturier.engine.validation import saxon_isolate
from facturier.engine.validation.lean import lean_stylesheet
from facturier.engine.validation.material import conformance_file
from facturier.engine.validation.report import Finding, NotRun, Report, Severity
from facturier.engine.validation.xsd import facturx_profile, validate_xsd
from facturier.engine.xml import (
    CAC,
    CBC,
    CDAR,
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

__all__ = [
    "RULE_SETS",
    "RuleSet",
    "compile_rule_set",
    "rule_owner",
    "rule_sets_for",
    "run_rule_set",
    "run_rules",
    "validate",
    "warm_up",
]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """One official rule set: a compiled schematron shipped as XSLT."""

    name: str
    """The check's name, as it appears in ``Report.checks`` and ``Finding.source``."""
    path: str | None
    """The XSLT, relative to the conformance folder; None when the project does not carry it."""
    title: str
    """What it is, for humans (used in messages)."""
    family: str
    """Who publishes it: "en16931", "facturx", "xrechnung", "peppol" or "fr" (see ``rule_owner``)."""


_FX = "zugferd-2.5.2/xslt"
_FR = "fr-ctc-1.4.0.03/xslt/20260804_"

RULE_SETS: dict[str, RuleSet] = {
    rs.name: rs
    for rs in (
        RuleSet("en16931-cii", "en16931-1.3.16/cii/xslt/EN16931-CII-validation.xslt", "EN 16931 1.3.16 (CII)",
                "en16931"),
        RuleSet("en16931-ubl", "en16931-1.3.16/ubl/xslt/EN16931-UBL-validation.xslt", "EN 16931 1.3.16 (UBL)",
                "en16931"),
        RuleSet("facturx-minimum", f"{_FX}/FACTUR-X_MINIMUM.xslt", "Factur-X 1.09 MINIMUM", "facturx"),
        RuleSet("facturx-basicwl", f"{_FX}/FACTUR-X_BASIC-WL.xslt", "Factur-X 1.09 BASIC WL", "facturx"),
        RuleSet("facturx-basic", f"{_FX}/FACTUR-X_BASIC.xslt", "Factur-X 1.09 BASIC", "facturx"),
        RuleSet("facturx-en16931", f"{_FX}/FACTUR-X_EN16931.xslt", "Factur-X 1.09 EN 16931", "facturx"),
        RuleSet("facturx-extended", f"{_FX}/FACTUR-X_EXTENDED.xslt", "Factur-X 1.09 EXTENDED", "facturx"),
        RuleSet("xrechnung-cii", "xrechnung-3.0.2/xslt/XRechnung-CII-validation.xslt", "XRechnung 3.0.2 (CII)",
                "xrechnung"),
        RuleSet("xrechnung-ubl", "xrechnung-3.0.2/xslt/XRechnung-UBL-validation.xslt", "XRechnung 3.0.2 (UBL)",
                "xrechnung"),
        RuleSet("peppol-bis3", None, "Peppol BIS Billing 3.0", "peppol"),
        RuleSet("fr-cii", f"{_FR}BR-FR-Flux2-Schematron-CII_V1.4.0.03.xslt", "BR-FR Flux 2 1.4.0.03 (CII)", "fr"),
        RuleSet("fr-ubl", f"{_FR}BR-FR-Flux2-Schematron-UBL_V1.4.0.03.xslt", "BR-FR Flux 2 1.4.0.03 (UBL)", "fr"),
        RuleSet("fr-extended-cii", f"{_FR}EXTENDED-CTC-FR-CII-V1.4.0.03.xslt", "EXTENDED-CTC-FR 1.4.0.03 (CII)",
                "fr"),
        RuleSet("fr-extended-ubl", f"{_FR}EXTENDED-CTC-FR-UBL-V1.4.0.03.xslt", "EXTENDED-CTC-FR 1.4.0.03 (UBL)",
                "fr"),
    )
}

_BELOW_OR_BEYOND_EN16931 = frozenset({"minimum", "basicwl", "extended"})
"""Factur-X profiles the CEN rules do not judge: MINIMUM and BASIC WL carry less than an
EN 16931 invoice, EXTENDED is a conformant superset with its own copy of the rules."""


def rule_sets_for(kind: DocumentKind, *, french: bool = False) -> tuple[RuleSet, ...]:
    """The rule sets that judge this kind of document, in the order they run."""
    syntax = kind.syntax
    names: list[str] = []
    if syntax == "cii":
        profile = facturx_profile(kind.guideline_id)
        if profile not in _BELOW_OR_BEYOND_EN16931:
            names.append("en16931-cii")
        if profile:
            names.append(f"facturx-{profile}")
    else:
        names.append("en16931-ubl")
    if kind.profile_hint == "xrechnung":
        names.append(f"xrechnung-{syntax}")
    elif kind.profile_hint == "peppol":
        names.append("peppol-bis3")
    if french:
        names.append(f"fr-{syntax}")
        if kind.profile_hint == "extended-ctc-fr":
            names.append(f"fr-extended-{syntax}")
    return tuple(RULE_SETS[n] for n in names)


_OWNERS = (
    ("FX-", "facturx"),
    ("BR-FR-", "fr"),
    ("BR-DE-", "xrechnung"),
    ("BR-DEX-", "xrechnung"),
    ("BR-TMP-", "xrechnung"),
    ("PEPPOL-", "peppol"),
    ("BR-", "en16931"),
    ("CII-", "en16931"),
    ("UBL-", "en16931"),
)


def rule_owner(rule: str) -> str | None:
    """The family of rule sets that defines ``rule`` (e.g. "en16931" for BR-CL-04 or CII-SR-465)."""
    return next((family for prefix, family in _OWNERS if rule.startswith(prefix)), None)


def _without_copies(reports: list[tuple[RuleSet, list[Finding]]]) -> list[tuple[RuleSet, list[Finding]]]:
    """Drop a set's finding of a rule when the rule's owner ran and reported that rule too."""
    by_owner: set[str] = set()
    for rs, findings in reports:
        by_owner.update(f.rule for f in findings if rule_owner(f.rule) == rs.family)
    return [
        (rs, [f for f in findings if rule_owner(f.rule) == rs.family or f.rule not in by_owner])
        for rs, findings in reports
    ]


def _not_carried(rule_set: RuleSet) -> NotRun:
    return NotRun(
        rule_set.name,
        rule_set.title,
        Message(
            fr=f"Le document se réclame de {rule_set.title}, dont les règles officielles ne sont pas fournies "
            "avec Facturier : elles n'ont pas été appliquées, le document n'est donc pas validé. Faites-le "
            "vérifier par un validateur qui les applique.",
            en=f"The document claims {rule_set.title}, whose official rules do not ship with Facturier: "
            "they were not applied, so the document is not validated. Have it checked by a validator "
            "that applies them.",
        ),
    )


# --- Saxon: one processor per process, every executable compiled once ---------------------

_saxon_lock = threading.RLock()
_processor: list[Any] = []  # zero or one PySaxonProcessor, created on first use
_executables: dict[str, Any] = {}  # XSLT absolute path -> PyXsltExecutable


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

        saxon_isolate.start()  # its young generation bounded, before SaxonC would start it unbounded
        _processor.append(PySaxonProcessor(license=False))
    return _processor[0]


def _executable(rule_set: RuleSet) -> Any:
    """The compiled XSLT of ``rule_set`` (caller holds the lock)."""
    assert rule_set.path is not None, rule_set.name
    path = conformance_file(rule_set.path, rule_set.title)
    exe = _executables.get(str(path))
    if exe is not None:
        return exe
    try:
        exe = _compile(path)
    except Exception as exc:  # noqa: BLE001 - Saxon raises its own untyped API errors
        raise _unavailable(rule_set, "compilation impossible", "compilation failed", str(exc)[:2000]) from None
    if exe is None:
        raise _unavailable(rule_set, "compilation impossible", "compilation failed", str(path))
    _executables[str(path)] = exe
    return exe


_CODEDB_CALL = re.compile(r"document\(\s*'([\w.-]+_codedb\.xml)'\s*\)")
_CODE_LOOKUP = re.compile(
    r"document\(\s*'([\w.-]+_codedb\.xml)'\s*\)/codedb/cl\[@id=(\d+)\]/enumeration\[@value=(\$[\w.-]+)\]"
)
_STYLESHEET_START = re.compile(r"<xsl:(?:stylesheet|transform)\b[^>]*>")


def _compile(path: Path) -> Any:
    """Compile one official XSLT, its code lists parsed once instead of once per document.

    The Factur-X XSLTs look codes up in a code list file with ``document('…_codedb.xml')``,
    which Saxon re-reads for every transformation (a third of the run time). The call is
    replaced, textually and with nothing else changed, by a stylesheet parameter bound once
    to that same file parsed once; the rules and their results are untouched.

    Every such call reads ``document('…')/codedb/cl[@id=N]/enumeration[@value=$v]``, with
    ``$v`` an attribute or element of the invoice: a scan of the whole list (2,000 unit codes)
    for every line. It becomes ``key('…-N', $v, $codedb)`` over an ``xsl:key`` that matches
    ``/codedb/cl[@id=N]/enumeration`` and uses ``@value``: the same nodes (a key returns the
    nodes its pattern matches whose ``@value`` equals one of the values of ``$v``, compared
    as strings, as ``=`` compares two untyped values), found through an index.
    """
    compiler = _saxon().new_xslt30_processor()
    # Without the walks and the output nobody reads (`lean.lean_stylesheet`): the same rules.
    text = lean_stylesheet(path.read_text(encoding="utf-8"))
    codedbs = sorted(set(_CODEDB_CALL.findall(text)))
    if not codedbs or not _STYLESHEET_START.search(text):
        # With the file's URI, so that anything it reads resolves next to it.
        return compiler.compile_stylesheet(stylesheet_text=text, base_uri=path.as_uri())
    params = {name: f"facturier-codedb-{i}" for i, name in enumerate(codedbs)}
    lists: set[tuple[str, str]] = set()

    def lookup(m: re.Match[str]) -> str:
        lists.add((params[m.group(1)], m.group(2)))
        return f"key('{params[m.group(1)]}-{m.group(2)}', {m.group(3)}, ${params[m.group(1)]})"

    text = _CODE_LOOKUP.sub(lookup, text)
    text = _CODEDB_CALL.sub(lambda m: f"${params[m.group(1)]}", text)
    declarations = "".join(f'<xsl:param name="{p}" required="yes"/>' for p in params.values())
    declarations += "".join(
        f'<xsl:key name="{p}-{n}" match="/codedb/cl[@id={n}]/enumeration" use="@value"/>' for p, n in sorted(lists)
    )
    text = _STYLESHEET_START.sub(lambda m: m.group(0) + declarations, text, count=1)
    exe = compiler.compile_stylesheet(stylesheet_text=text, base_uri=path.as_uri())
    for name, param in params.items():
        exe.set_parameter(param, _saxon().parse_xml(xml_file_name=str(path.parent / name)))
    return exe


_WARM_UP_EXAMPLES = {"cii": "en16931-1.3.16/examples/cii/CII_example1.xml",
                     "ubl": "en16931-1.3.16/examples/ubl/ubl-tc434-example1.xml"}
"""An official example per syntax, run once through each rule set `warm_up` compiles."""


def warm_up(names: tuple[str, ...] | None = None) -> None:
    """Make rule sets ready ahead of time (e.g. when a worker starts); all the carried ones by default.

    Each is compiled, then run once on an official example of its syntax: Saxon's first run of a
    compiled XSLT costs 170–250 ms of CPU more than the next ones (template rules compiled on first use,
    the code lists' key indexes built, the native image's code paged in), which the first document
    would otherwise pay. The example's findings are not used."""
    with _saxon_lock:
        for name in names or tuple(n for n, rs in RULE_SETS.items() if rs.path):
            rule_set = RULE_SETS[name]
            exe = _executable(rule_set)
            try:
                example = conformance_file(_WARM_UP_EXAMPLES["ubl" if name.endswith("-ubl") else "cii"], rule_set.title)
            except RuleSetUnavailable:
                continue  # no example at hand: the first document pays the first run
            exe.transform_to_string(xdm_node=_saxon().parse_xml(xml_file_name=str(example)))


# --- SVRL ---------------------------------------------------------------------------------

_SVRL = "{http://purl.oclc.org/dsdl/svrl}"
_NON_FATAL_FLAGS = frozenset({"warning", "warn", "information", "info", "informational", "note"})
_RULE_IN_TEXT = re.compile(r"^\s*\[([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\]")
_PREFIXES = {
    RSM: "rsm",
    CDAR: "rsm",
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
    applicable = rule_sets_for(kind, french=french)
    rule_sets = [rs for rs in applicable if rs.path is not None]
    not_run = tuple(_not_carried(rs) for rs in applicable if rs.path is None)
    # Re-serialised by lxml, never the raw bytes: the text is already checked and decoded
    # (no DOCTYPE, no BOM, no lying encoding declaration) and Saxon parses it once for all.
    text = etree.tostring(root, encoding="unicode")
    results: list[tuple[RuleSet, list[Finding]]] = []
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
            results.append((rs, findings))
    reports = [Report.of(findings, rs.name) for rs, findings in _without_copies(results)]
    return Report(not_run=not_run).merge(*reports)


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


def compile_rule_set(rule_set: RuleSet) -> None:
    """Compile ``rule_set`` now (once per process), e.g. one that is not in RULE_SETS."""
    with _saxon_lock:
        _executable(rule_set)


def run_rule_set(root: etree._Element, rule_set: RuleSet) -> Report:
    """Run one carried rule set on ``root``, whatever the document (e.g. BR-FR-CDV on a CDAR message).

    The same machinery as ``run_rules``: compiled once, run under the one Saxon lock, findings
    read from the SVRL. Raises RuleSetUnavailable when the set cannot be loaded or crashes.
    """
    text = etree.tostring(root, encoding="unicode")
    with _saxon_lock:
        exe = _executable(rule_set)
        try:
            node = _saxon().parse_xml(xml_text=text)
            svrl = exe.transform_to_string(xdm_node=node)
            if not svrl:
                raise RuntimeError("the transformation produced no SVRL report")
            findings = _findings(svrl, rule_set)
        except Exception as exc:  # noqa: BLE001 - any failure is "not passed", never a pass
            raise _unavailable(
                rule_set, "erreur à l'exécution sur ce document", "it crashed on this document", str(exc)[:2000]
            ) from None
    return Report.of(findings, rule_set.name)


def run_rules(root: etree._Element, kind: DocumentKind, *, french: bool = False) -> Report:
    """Run the official schematron rule sets that apply to ``kind`` on ``root``.

    See ``rule_sets_for`` and the module's docstring for which sets apply. A set that applies
    but is not carried (Peppol) is named in ``Report.not_run``, so the report does not pass.
    Raises RuleSetUnavailable when a carried rule set cannot be loaded or crashes.
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
    return validate_tree(root, detect(root), french=french)


def validate_tree(root: etree._Element, kind: DocumentKind, *, french: bool = False) -> Report:
    """`validate` of a document the caller has already parsed (`parse_xml`) and recognised (`detect`):
    the same checks, without parsing the bytes a second time."""
    xsd = validate_xsd(root, kind)
    rules = _run(root, kind, french=french, tolerate_crash=not xsd.passed)
    return xsd.merge(rules)
