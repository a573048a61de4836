"""The code tables: the statuses of the reform, and the reason codes the BR-FR-CDV rules enforce."""

from __future__ import annotations

import re

from cdar_material import CDV_SCHEMATRON

from facturier.engine import cdar

SCH = CDV_SCHEMATRON.read_text(encoding="utf-8")


def _codes_of_function(variable: str) -> set[str]:
    (codes,) = re.findall(rf'name="custom:{variable}" as="xs:string"\s+select="\'([^\']*)\'"', SCH)
    return set(codes.split())


def _codes_of_assert(assert_id: str) -> set[str]:
    test = re.search(rf'<assert test="([^"]*)"\s+flag="fatal"\s+id="{re.escape(assert_id)}"', SCH).group(1)
    return set(re.findall(r"\(\.\) = '([A-Z0-9_]+)'", test))


def test_the_table_has_every_status_of_the_reform():
    expected = {str(c) for c in (*range(200, 215), 220, 221, *range(224, 229), 501)}
    assert set(cdar.STATUSES) == expected
    assert cdar.STATUSES["212"].name_fr == "Encaissée" and cdar.STATUSES["501"].name_fr == "Irrecevable"
    assert all(s.name_en and s.name_fr and s.label for s in cdar.STATUSES.values())
    assert cdar.LifecycleStatus is cdar.StatusInfo


def test_the_statuses_are_those_the_rules_know():
    assert set(cdar.STATUSES) <= _codes_of_function("invoice-status-codes")


def test_the_statuses_that_need_a_reason_are_those_the_rules_require_one_for():
    required = {c for c, s in cdar.STATUSES.items() if s.reason_required}
    assert required == {"206", "207", "208", "210", "213", "501"}
    rule = re.search(r'id="BR-FR-CDV-15_MDT-113"', SCH)
    assert rule and required == set(re.findall(r"\(\.\) = '(\d+)'", SCH[SCH.rfind("<assert", 0, rule.start()):
                                                                         rule.start()]))


def test_the_statuses_sent_to_the_tax_administration():
    assert {c for c, s in cdar.STATUSES.items() if s.to_tax_authority} == {"200", "210", "212", "213"}


def test_the_reasons_are_exactly_the_closed_list_the_rules_enforce():
    assert set(cdar.REASONS) == _codes_of_function("status-reason-codes")
    assert all(r.text_fr and r.text_en and r.text_fr != r.text_en for r in cdar.REASONS.values())


def test_each_status_with_its_own_reason_list_offers_exactly_that_list():
    for status in ("200", "206", "207", "208", "210", "213", "221", "501"):
        offered = {r.code for r in cdar.reasons_for(status)}
        assert offered == _codes_of_assert(f"BR-FR-CDV-CL-09_MDT-113_{status}"), status
    assert {r.code for r in cdar.reasons_for("210", b2g=True)} == _codes_of_assert("BR-FR-CDV-CL-09_MDT-113_210B2G")
    assert len(cdar.reasons_for("205")) == len(cdar.REASONS)


def test_the_actions_are_the_closed_list_the_rules_enforce():
    assert set(cdar.ACTIONS) == _codes_of_function("invoice-action-codes")


def test_names_and_texts_come_in_the_users_language():
    assert cdar.STATUSES["210"].name("fr") == "Refusée" and cdar.STATUSES["210"].name("en-gb") == "Refused"
    assert cdar.REASONS["DOUBLON"].text("fr") == "Facture en double"
    assert cdar.REASONS["DOUBLON"].statuses >= {"207", "210", "213"}


def test_the_statuses_that_stop_an_invoice_are_flagged():
    assert {c for c, s in cdar.STATUSES.items() if s.negative} == {"210", "213", "221", "501"}


def test_a_refusal_tells_the_seller_what_to_do_in_both_languages():
    step = cdar.next_step("210", "DOUBLON")
    assert "Facture en double" in step.fr and "avoir" in step.fr
    assert "Duplicate invoice" in step.en and "credit note" in step.en
    asked = cdar.next_step("210", "TX_TVA_ERR", "NIN")
    assert "facture rectificative" in asked.fr and "corrective invoice" in asked.en


def test_a_rejection_a_routing_error_and_an_inadmissible_file_each_say_what_to_do():
    assert "non émise" in cdar.next_step("213", "REJ_SEMAN").fr
    assert "directory" in cdar.next_step("221").en
    assert "format" in cdar.next_step("501", "IRR_SYNTAX").en
    assert cdar.next_step("205") is None
