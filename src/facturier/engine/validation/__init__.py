"""Validation: one report type for every check (model rules, XSD, official schematron)."""

from facturier.engine.validation.material import configure, conformance_dir
from facturier.engine.validation.report import Finding, NotRun, Report, Severity
from facturier.engine.validation.schematron import RuleSet, rule_sets_for, run_rules, validate, validate_tree, warm_up
from facturier.engine.validation.xsd import validate_xsd

__all__ = [
    "Finding",
    "NotRun",
    "Report",
    "RuleSet",
    "Severity",
    "configure",
    "conformance_dir",
    "rule_sets_for",
    "run_rules",
    "validate",
    "validate_tree",
    "validate_xsd",
    "warm_up",
]
