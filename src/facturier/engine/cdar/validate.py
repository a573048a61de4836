"""Check a life-cycle message: the CDAR D22B XSD, then the BR-FR-CDV rules.

The BR-FR-CDV 1.4.0.03 rules ship with the repository (``conformance/fr-ctc-1.4.0.03/xslt``)
and always run, through the engine's schematron machinery (Saxon, compiled once per process).
The D22B XSD does not ship with the repository: its publisher's licence terms keep it in the
specifications folder beside the checkout (``../shared/specs/cdar-d22b/xsd``), which the
application names (setting FACTURIER_SPECS_DIR). Without it the report says the XSD check
could not run (``xsd_checked`` False, a ``not_run`` entry): never a pass of that part.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from facturier.engine.cdar.parse import _LIMITS, _ROOT
from facturier.engine.errors import InputError, Message
from facturier.engine.validation.report import Finding, NotRun, Severity
from facturier.engine.validation.schematron import RuleSet, compile_rule_set, run_rule_set
from facturier.engine.validation.xsd import compiled_schema, schema_findings
from facturier.engine.xml import parse_xml

__all__ = [
    "CDV_RULES",
    "XSD_FILE",
    "CdarReport",
    "validate",
    "validate_tree",
    "warm_up",
    "xsd_dir_in",
]

CDV_RULES = RuleSet(
    "fr-cdv",
    "fr-ctc-1.4.0.03/xslt/20260804_BR-FR-CDV-Schematron-CDAR_V1.4.0.03.xslt",
    "BR-FR-CDV 1.4.0.03 (CDAR)",
    "fr",
)
"""The French life-cycle message rules, as the compiled XSLT of the conformance folder."""

XSD_FILE = "CrossDomainAcknowledgementAndResponse_100pD22B.xsd"


def xsd_dir_in(specs_dir: Path | str | None) -> Path | None:
    """The CDAR XSD folder inside a specifications folder (``cdar-d22b/xsd``), or None when it is not there."""
    if specs_dir is None:
        return None
    folder = Path(specs_dir) / "cdar-d22b" / "xsd"
    return folder if (folder / XSD_FILE).is_file() else None


@dataclass(frozen=True, slots=True)
class CdarReport:
    """What the checks found in one life-cycle message."""

    findings: tuple[Finding, ...]
    xsd_checked: bool
    """The XSD ran (False: no XSD folder, the report says so in ``not_run``)."""
    not_run: tuple[NotRun, ...] = ()
    checks: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[Finding, ...]:
        """Blocking findings (XSD errors, BR-FR-CDV fatal asserts, unreadable XML), each with its rule id."""
        return tuple(f for f in self.findings if f.severity is Severity.FATAL)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        """No error in the checks that ran (see ``xsd_checked`` and ``passed``)."""
        return not self.errors

    @property
    def passed(self) -> bool:
        """No error, and every check ran (the XSD included)."""
        return self.ok and not self.not_run

    @property
    def rule_ids(self) -> frozenset[str]:
        return frozenset(f.rule for f in self.findings)

    @property
    def error_rule_ids(self) -> frozenset[str]:
        return frozenset(f.rule for f in self.errors)


_XSD_NOT_RUN = NotRun(
    "xsd",
    "CDAR D22B XSD",
    Message(
        fr="Le contrôle XSD n'a pas pu être fait : le schéma CDAR D22B n'est pas disponible (dossier des "
        "spécifications absent, voir FACTURIER_SPECS_DIR). Seules les règles BR-FR-CDV ont été appliquées.",
        en="The XSD check could not run: the CDAR D22B schema is not available (specifications folder "
        "missing, see FACTURIER_SPECS_DIR). Only the BR-FR-CDV rules were applied.",
    ),
)


def _unreadable(exc: InputError) -> CdarReport:
    return CdarReport(
        findings=(
            Finding(
                rule="XML",
                severity=Severity.FATAL,
                message=Message(fr=f"Message illisible : {exc.message.fr}", en=f"Unreadable message: {exc.message.en}"),
                source="xml",
            ),
        ),
        xsd_checked=False,
        checks=("xml",),
    )


def validate(data: bytes, *, xsd_dir: Path | str | None = None) -> CdarReport:
    """Check the message in ``data``: the XSD when ``xsd_dir`` holds it, then always BR-FR-CDV.

    Bytes that are not well-formed (or carry a DOCTYPE, or are too large) give a report with
    one "XML" error; a document that is not a CDAR message one "CDAR" error. The BR-FR-CDV
    rules raise RuleSetUnavailable when they cannot run: never a silent pass.
    """
    try:
        root = parse_xml(data, limits=_LIMITS)
    except InputError as exc:
        return _unreadable(exc)
    return validate_tree(root, xsd_dir=xsd_dir)


def validate_tree(root: etree._Element, *, xsd_dir: Path | str | None = None) -> CdarReport:
    """Like ``validate``, on a tree from the engine's hardened parser (no re-parsing)."""
    if root.tag != _ROOT:
        local = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        return CdarReport(
            findings=(
                Finding(
                    rule="CDAR",
                    severity=Severity.FATAL,
                    message=Message(
                        fr=f"Ce document n'est pas un message de cycle de vie CDAR (élément racine {local}).",
                        en=f"This document is not a CDAR life-cycle message (root element {local}).",
                    ),
                    source="xml",
                ),
            ),
            xsd_checked=False,
            checks=("xml",),
        )
    findings: list[Finding] = []
    checks: list[str] = []
    not_run: tuple[NotRun, ...] = ()
    folder = Path(xsd_dir) if xsd_dir is not None else None
    xsd_checked = folder is not None and (folder / XSD_FILE).is_file()
    if xsd_checked:
        findings.extend(schema_findings(root, folder / XSD_FILE, "CDAR D22B"))
        checks.append("xsd")
    else:
        not_run = (_XSD_NOT_RUN,)
    rules = run_rule_set(root, CDV_RULES)
    findings.extend(rules.findings)
    checks.extend(rules.checks)
    return CdarReport(tuple(findings), xsd_checked, not_run, tuple(checks))


def warm_up(xsd_dir: Path | str | None = None) -> None:
    """Compile the BR-FR-CDV rules (and the XSD, when given) ahead of the first message."""
    compile_rule_set(CDV_RULES)
    if xsd_dir is not None and (Path(xsd_dir) / XSD_FILE).is_file():
        compiled_schema(Path(xsd_dir) / XSD_FILE)

