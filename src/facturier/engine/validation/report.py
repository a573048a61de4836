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
class NotRun:
    """A rule set that applies to the document but could not run on it: the document is not validated."""

    check: str
    """The rule set's name, as ``Report.checks`` would have named it."""
    title: str
    reason: Message

    def as_dict(self, language: str = "en") -> dict[str, str]:
        return {"check": self.check, "title": self.title, "reason": self.reason.in_language(language)}


@dataclass(frozen=True, slots=True)
class Report:
    """The findings of one or more checks on one document."""

    findings: tuple[Finding, ...] = ()
    checks: tuple[str, ...] = field(default=())
    """Names of the checks that actually ran (so an empty report is never mistaken for a pass of nothing)."""
    not_run: tuple[NotRun, ...] = ()
    """Rule sets that apply to the document but could not run, each with its reason: never a pass."""

    @property
    def fatal(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.FATAL)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def passed(self) -> bool:
        """No blocking finding, and every rule set that applies ran."""
        return not self.fatal and not self.not_run

    @property
    def rule_ids(self) -> frozenset[str]:
        return frozenset(f.rule for f in self.findings)

    @property
    def fatal_rule_ids(self) -> frozenset[str]:
        return frozenset(f.rule for f in self.fatal)

    def merge(self, *others: Report) -> Report:
        findings = list(self.findings)
        checks = list(self.checks)
        not_run = list(self.not_run)
        for o in others:
            findings.extend(o.findings)
            checks.extend(c for c in o.checks if c not in checks)
            not_run.extend(n for n in o.not_run if n not in not_run)
        return Report(tuple(findings), tuple(checks), tuple(not_run))

    @classmethod
    def of(cls, findings: Iterable[Finding], check: str) -> Report:
        return cls(tuple(findings), (check,))
