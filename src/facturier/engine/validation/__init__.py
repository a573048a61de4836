"""Validation: one report type for every check (model rules, XSD, official schematron)."""

from facturier.engine.validation.report import Finding, Report, Severity

__all__ = ["Finding", "Report", "Severity"]
