"""The one report type every check returns: findings keyed by rule id, never bare text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from facturier.engine.errors import Message


class Severity(StrEnum):
    FATAL = "fatal"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One broken rule at one place."""

    rule: str
    """Rule id as the standard names it: "BR-CO-10", "BR-FR-05", "XSD", "PDFA-FONTS"."""
    severity: Severity
    message: Message
    path: str = ""
    """Where it sits in the semantic model, e.g. "lines[2].net_amount" (empty when unknown)."""
    xpath: str | None = None
    """Where it sits in the XML, when the check ran on XML."""
    source: str = "model"
    """Which check produced it: "model", "xsd", "en16931", "facturx-en16931", "fr"…"""

    def as_dict(self, language: str = "en") -> dict[str, str | None]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "path": self.path,
            "xpath": self.xpath,
            "source": self.source,
            "message": self.message.in_language(language),
        }


@dataclass(frozen=True, slots=True)
class Report:
    """The findings of one or more checks on one document."""

    findings: tuple[Finding, ...] = ()
    checks: tuple[str, ...] = field(default=())
    """Names of the checks that actually ran (so an empty report is never mistaken for a pass of nothing)."""

    @property
    def fatal(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.FATAL)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def passed(self) -> bool:
        return not self.fatal

    @property
    def rule_ids(self) -> frozenset[str]:
        return frozenset(f.rule for f in self.findings)

    @property
    def fatal_rule_ids(self) -> frozenset[str]:
        return frozenset(f.rule for f in self.fatal)

    def merge(self, *others: Report) -> Report:
        findings = list(self.findings)
        checks = list(self.checks)
        for o in others:
            findings.extend(o.findings)
            checks.extend(c for c in o.checks if c not in checks)
        return Report(tuple(findings), tuple(checks))

    @classmethod
    def of(cls, findings: Iterable[Finding], check: str) -> Report:
        return cls(tuple(findings), (check,))
