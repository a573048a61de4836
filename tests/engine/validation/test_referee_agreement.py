"""The engine's verdict agrees with the referee's on every official example and on broken variants."""

from __future__ import annotations

from pathlib import Path

import pytest
from validation_material import (
    CONFORMANCE_DIR,
    KNOWN_INVALID,
    MISSING,
    VARIANTS,
    XRECHNUNG_KNOWN_INVALID,
    is_unsupported,
    official_examples,
    xrechnung_instances,
)

from facturier.engine.errors import UnsupportedDocument
from facturier.engine.validation import validate

EXAMPLES = official_examples() or [pytest.param(None, marks=pytest.mark.skip(reason=MISSING))]
SUPPORTED = [e for e in EXAMPLES if not isinstance(e, str) or not is_unsupported(e)]
UNSUPPORTED = [e for e in EXAMPLES if isinstance(e, str) and is_unsupported(e)] or [
    pytest.param(None, marks=pytest.mark.skip(reason=MISSING))
]


def _why(report) -> str:
    return "; ".join(f"{f.rule} @ {f.xpath}: {f.message.en[:120]}" for f in report.fatal[:5])


@pytest.mark.parametrize("example", SUPPORTED)
def test_official_example_passes_the_rules_that_apply_unless_its_source_breaks_them(example, our_verdicts):
    report = our_verdicts(example)
    expected = KNOWN_INVALID.get(example)
    if expected is None:
        assert report.passed, _why(report)
        return
    assert not report.passed
    assert report.fatal_rule_ids | {n.check for n in report.not_run} == expected[0], _why(report)


def test_every_known_invalid_example_exists_and_says_why():
    assert set(KNOWN_INVALID) <= set(official_examples())
    assert set(XRECHNUNG_KNOWN_INVALID) <= set(xrechnung_instances())
    for rules, why in (*KNOWN_INVALID.values(), *XRECHNUNG_KNOWN_INVALID.values()):
        assert "\n" not in why and any(rule in why for rule in rules), why


@pytest.mark.parametrize("instance", xrechnung_instances())
def test_xrechnung_instance_passes_the_cen_and_xrechnung_rules_unless_it_breaks_them(instance, our_verdicts):
    report = our_verdicts(instance)
    assert report.checks[1:] in (("en16931-cii", "xrechnung-cii"), ("en16931-ubl", "xrechnung-ubl")), report.checks
    expected = XRECHNUNG_KNOWN_INVALID.get(instance)
    if expected is None:
        assert report.passed, _why(report)
    else:
        assert report.fatal_rule_ids == expected[0], _why(report)


@pytest.mark.parametrize("example", SUPPORTED)
def test_verdict_on_official_example_matches_referee(example, referee, our_verdicts):
    path = (CONFORMANCE_DIR / example).resolve()
    report = our_verdicts(example)
    theirs = referee[str(path)]
    if report.not_run:
        # rules the referee does not run either (Peppol): compare on the sets that ran,
        # and the document is never valid
        assert not report.passed
        assert (not report.fatal) == theirs.passed, (_why(report), sorted(theirs.fatal_rules))
        return
    assert report.passed == theirs.passed, (
        f"engine says {'valid' if report.passed else 'invalid'} ({_why(report)}), "
        f"referee says {'valid' if theirs.passed else 'invalid'} ({sorted(theirs.fatal_rules)})"
    )
    if not report.passed:
        assert report.fatal_rule_ids & theirs.fatal_rules


@pytest.mark.parametrize("example", UNSUPPORTED)
def test_order_x_and_zugferd_1_are_unsupported_documents(example, referee):
    path = (CONFORMANCE_DIR / example).resolve()
    with pytest.raises(UnsupportedDocument):
        validate(path.read_bytes())
    assert not referee[str(path)].passed


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_broken_variant_is_invalid_for_both_and_names_the_same_rule(variant, broken_variants, referee):
    path: Path = broken_variants[variant.name]
    report = validate(path.read_bytes())
    theirs = referee[str(path.resolve())]
    assert not theirs.passed
    assert not report.passed
    assert variant.rule in theirs.fatal_rules, sorted(theirs.fatal_rules)
    assert variant.rule in report.fatal_rule_ids, sorted(report.fatal_rule_ids)
    finding = next(f for f in report.fatal if f.rule == variant.rule)
    assert finding.xpath and finding.xpath.startswith("/")
    assert finding.message.fr and finding.message.en
