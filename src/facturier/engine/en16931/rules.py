"""Model-level business rules: EN 16931 (BR, BR-CO, BR-DEC, BR-CL, per VAT category) and the
French CIUS (BR-FR), checked on the semantic model in one pass, fast enough for every keystroke.

    report = check_rules(invoice, french=True)
    report.fatal_rule_ids  # frozenset({"BR-CO-15", "BR-FR-05"})

The rules themselves live in `rules_core` (machinery, BR-01 … BR-65), `rules_co` (BR-CO,
BR-DEC), `rules_cl` (BR-CL), `rules_vat` (the VAT categories) and `rules_fr` (the French
rules); `RULE_IDS` lists what is covered. A blank or missing value (a draft being typed, a
sloppy document read) is a finding, never an exception.
"""

from __future__ import annotations

# Importing the rule modules registers their rules.
from facturier.engine.en16931 import rules_cl as _rules_cl  # noqa: F401
from facturier.engine.en16931 import rules_co as _rules_co  # noqa: F401
from facturier.engine.en16931 import rules_fr as _rules_fr  # noqa: F401
from facturier.engine.en16931 import rules_vat as _rules_vat  # noqa: F401
from facturier.engine.en16931.model import Invoice
from facturier.engine.en16931.rules_core import EN_RULES, FR_RULES, Ctx, Rule
from facturier.engine.validation.report import Finding, Report

__all__ = ["EN_RULE_IDS", "FR_RULE_IDS", "RULE_IDS", "check_rules"]

EN_RULE_IDS: frozenset[str] = frozenset(EN_RULES)
"""The EN 16931 rule ids the model checks cover."""
FR_RULE_IDS: frozenset[str] = frozenset(FR_RULES)
"""The French rule ids the model checks cover."""
RULE_IDS: frozenset[str] = EN_RULE_IDS | FR_RULE_IDS

_FAMILIES = ("BR-CO-", "BR-DEC-", "BR-CL-")


def _order(r: Rule) -> tuple[int, str]:
    """Findings come out as the standard lists the rules: BR, BR-CO, BR-DEC, BR-CL."""
    rank = next((i + 1 for i, prefix in enumerate(_FAMILIES) if r.id.startswith(prefix)), 0)
    return rank, r.id


_ALWAYS: tuple[Rule, ...] = tuple(sorted((r for r in EN_RULES.values() if r.category is None), key=_order))
_BY_CATEGORY: dict[str, tuple[Rule, ...]] = {}
for _rule in EN_RULES.values():
    if _rule.category is not None:
        _BY_CATEGORY[_rule.category] = (*_BY_CATEGORY.get(_rule.category, ()), _rule)
_FRENCH: tuple[Rule, ...] = tuple(FR_RULES.values())


def check_rules(invoice: Invoice, *, french: bool = False) -> Report:
    """Check the EN 16931 business rules on `invoice`, and the French rules when `french`.

    The report's checks are ("model",) or ("model", "model-fr"); every finding names the
    rule as the standard does, its place in the model (`lines[2].net_amount`) and a message
    in French and English.
    """
    ctx = Ctx(invoice)
    out: list[Finding] = []
    for r in _ALWAYS:
        r.check(ctx, out)
    for category in sorted(ctx.categories):
        for r in _BY_CATEGORY.get(category, ()):
            r.check(ctx, out)
    if not french:
        return Report.of(out, "model")
    for r in _FRENCH:
        r.check(ctx, out)
    return Report(tuple(out), ("model", "model-fr"))
