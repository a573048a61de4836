"""The platform client against the simulated PA on loopback, every exchange checked against the OpenAPI files."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import translation
from pa_helpers import CLIENT_ID

from facturier.platforms import client as pa
from facturier.platforms.client import DirectoryClient, FlowClient, Refused, Step, TokenRejected, Unreachable


def _cii(document) -> bytes:
    from facturier.documents.services import document_xml

    return document_xml(document, "cii")


def _wait(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def _statuses(flows: FlowClient, tracking_id: str) -> list[str]:
    found = flows.search(tracking_id=tracking_id, flow_types=["CustomerInvoiceLC"], limit=100).flows
    return [f.name.split("-")[1] for f in found]


def test_a_valid_invoice_to_a_known_buyer_is_deposited_received_taken_over_and_approved(
        connection, simulator, checked, issued):
    data = _cii(issued)
    with FlowClient(connection) as flows:
        submitted = flows.submit(file_name=f"{issued.number}.xml", data=data, flow_syntax="CII",
                                 processing_rule="B2B", tracking_id=str(issued.pk))
        assert submitted.flow_id and submitted.tracking_id == str(issued.pk)
        assert _wait(lambda: _statuses(flows, str(issued.pk)) == ["200", "202", "204", "205"])
        invoice = flows.get(submitted.flow_id)
        assert (invoice.ack_status, invoice.flow_type, invoice.flow_direction) == ("Ok", "CustomerInvoice", "Out")
        assert flows.download(submitted.flow_id, "Original") == data
        assert b"<rsm:Invoice" in flows.download(submitted.flow_id, "Converted") or \
            b"Invoice" in flows.download(submitted.flow_id, "Converted")
        assert b"<table>" in flows.download(submitted.flow_id, "ReadableView")
        lc = flows.search(tracking_id=str(issued.pk), flow_types=["CustomerInvoiceLC"]).flows[-1]
        assert (lc.flow_syntax, lc.flow_direction) == ("CDAR", "In")
        cdar = flows.download(lc.flow_id)
        assert b"<ram:ProcessConditionCode>205</ram:ProcessConditionCode>" in cdar
        assert issued.number.encode() in cdar
    assert checked.checked >= 8


def test_an_invoice_to_a_buyer_without_directory_line_ends_in_a_routing_error(connection, simulator, checked, org):
    from facturier.invoicing.services import document_issue, draft_create
    from facturier.parties.services import customer_create

    customer = customer_create(by=org.owner, code="RECY", name="Recyclage Avenir SCOP", siren="800123457",
                               siret="80012345700015", vat_number="FR41800123457", effective_from=dt.date(2020, 1, 1),
                               billing_address={"line1": "1 rue", "postcode": "69200", "city": "Vénissieux"})
    draft = draft_create(by=org.owner, customer_id=customer.pk, lines=[
        {"name": "Audit", "quantity": 1, "unit_price": "650.00"}])
    document = document_issue(by=org.owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))
    with FlowClient(connection) as flows:
        flows.submit(file_name="r.xml", data=_cii(document), flow_syntax="CII", processing_rule="B2B",
                     tracking_id=str(document.pk))
        assert _wait(lambda: "221" in _statuses(flows, str(document.pk)))
        lc = [f for f in flows.search(tracking_id=str(document.pk), flow_types=["CustomerInvoiceLC"]).flows
              if f.name.startswith("CDV-221")][0]
        cdar = flows.download(lc.flow_id)
        assert b"800123457" in cdar and b"<ram:ReasonCode>" in cdar


def test_an_unreadable_file_is_refused_at_reception_with_its_reason_code(connection, simulator, checked):
    with FlowClient(connection) as flows:
        submitted = flows.submit(file_name="bad.xml", data=b"<Invoice>not an invoice</Invoice>", flow_syntax="UBL",
                                 processing_rule="B2B", tracking_id="bad-1")
        flow = _wait(lambda: (f := flows.get(submitted.flow_id)).ack_status != "Pending" and f)
        assert flow.ack_status == "Error"
        assert flow.ack_details[0]["reasonCode"] in ("InvalidSchema", "FlowTypeError")
        assert _wait(lambda: _statuses(flows, "bad-1") == ["501"])


def test_a_tracking_id_the_platform_is_told_to_reject_gets_213_with_the_reason(connection, simulator, checked,
                                                                                 issued):
    simulator.faults.reject_tracking_id(str(issued.pk), reason_code="REJ_SEMAN", reason="Montants incohérents")
    with FlowClient(connection) as flows:
        flows.submit(file_name="i.xml", data=_cii(issued), flow_syntax="CII", processing_rule="B2B",
                     tracking_id=str(issued.pk))
        assert _wait(lambda: _statuses(flows, str(issued.pk)) == ["200", "213"])
        lc = flows.search(tracking_id=str(issued.pk), flow_types=["CustomerInvoiceLC"]).flows[-1]
        assert "Montants incohérents".encode() in flows.download(lc.flow_id)


def test_the_same_flow_submitted_twice_is_acknowledged_as_already_existing(connection, simulator, issued):
    data = _cii(issued)
    with FlowClient(connection) as flows:
        first = flows.submit(file_name="i.xml", data=data, flow_syntax="CII", tracking_id="dup")
        second = flows.submit(file_name="i.xml", data=data, flow_syntax="CII", tracking_id="dup")
        assert _wait(lambda: flows.get(second.flow_id).ack_status == "Error")
        assert flows.get(second.flow_id).ack_details[0]["reasonCode"] == "AlreadyExistingFlow"
        assert flows.get(first.flow_id).ack_status == "Ok"


def test_search_pages_with_the_cursor_through_every_flow_once(connection, simulator, checked):
    with FlowClient(connection) as flows:
        ids = {flows.submit(file_name=f"f{i}.xml", data=b"<x/>", flow_syntax="CDAR", tracking_id=f"t{i}").flow_id
               for i in range(7)}
        assert simulator.wait_idle()
        seen, cursor, pages = [], None, 0
        while True:
            page = flows.search(cursor=cursor, limit=3, directions=["Out"])
            pages += 1
            seen += [f.flow_id for f in page.flows]
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        assert sorted(seen) == sorted(ids) and pages == 3
        assert {f.flow_id for f in flows.search_all(updated_after=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
                                                    limit=2)} >= ids


def test_the_token_is_fetched_once_and_reused_until_it_expires(connection, simulator, checked, monkeypatch):
    with FlowClient(connection) as flows:
        flows.health()
        flows.health()
    with FlowClient(connection) as flows:  # the cache outlives one client
        flows.health()
    assert simulator.platform.token_requests == 1
    monkeypatch.setattr(pa, "TOKEN_MARGIN_SECONDS", 0)
    simulator.platform.token_ttl = 1
    pa.forget_tokens()
    with FlowClient(connection) as flows:
        flows.health()
        time.sleep(1.1)
        flows.health()  # renewed before use: no 401 seen
    assert simulator.platform.token_requests == 3


def test_a_token_the_platform_expired_early_is_renewed_once_on_401(connection, simulator, checked):
    with FlowClient(connection) as flows:
        flows.health()
        simulator.expire_tokens()
        flows.search(limit=1)
    assert simulator.platform.token_requests == 2


def test_a_wrong_secret_names_the_sign_in_step_in_the_users_language(connection, simulator, org):
    from facturier.platforms.services import connection_save

    connection_save(by=org.owner, connection_id=connection.pk, client_secret="wrong")
    connection.refresh_from_db()
    with FlowClient(connection) as flows, pytest.raises(TokenRejected) as caught:
        flows.health()
    assert caught.value.step == Step.TOKEN and not caught.value.temporary
    assert "refused the client id or secret" in caught.value.message
    with translation.override("fr"):
        assert "identifiant client ou le secret" in caught.value.message
        assert caught.value.message.startswith("Connexion (jeton d'accès)")


def test_a_platform_answering_500_is_a_temporary_refusal_then_it_works_again(connection, simulator, checked):
    with FlowClient(connection) as flows:
        flows.health()
        simulator.faults.fail_next(1, status=500)
        with pytest.raises(Refused) as caught:
            flows.search(limit=1)
        assert caught.value.status == 500 and caught.value.temporary and caught.value.step == Step.FLOW_SEARCH
        assert caught.value.problem["errorCode"] == "INTERNAL_ERROR"
        flows.search(limit=1)


def test_a_platform_that_does_not_answer_in_time_may_have_received_the_submission(connection, simulator):
    with FlowClient(connection, timeout=0.5) as flows:
        flows.health()
        simulator.faults.delay_next(1, 2.0)
        with pytest.raises(Unreachable) as caught:
            flows.submit(file_name="x.xml", data=b"<x/>", flow_syntax="CDAR", tracking_id="slow")
        assert caught.value.maybe_received and caught.value.temporary and caught.value.step == Step.FLOW_SUBMIT


def test_a_platform_that_is_down_is_unreachable_and_nothing_was_received(connection, simulator):
    import socket

    from facturier.platforms.models import Platform

    with socket.socket() as bound:  # a port held but not listening: refused, and no other test can take it
        bound.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{bound.getsockname()[1]}"
        Platform.objects.filter(pk=connection.platform_id).update(flow_url=down + "/flow-service",
                                                                  token_url=down + "/auth/token")
        connection.refresh_from_db()
        with FlowClient(connection) as flows, pytest.raises(Unreachable) as caught:
            flows.health()
    assert caught.value.temporary and not caught.value.maybe_received
    assert caught.value.step == Step.TOKEN


def test_a_platform_on_a_private_address_is_refused_unless_the_operator_allows_it(connection, simulator, settings):
    from facturier.platforms.models import Platform

    https = simulator.url.replace("http://", "https://")
    Platform.objects.filter(pk=connection.platform_id).update(flow_url=https + "/flow-service",
                                                              token_url=https + "/auth/token")
    connection.refresh_from_db()
    settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS = False
    with FlowClient(connection) as flows, pytest.raises(Unreachable) as caught:
        flows.health()
    assert not caught.value.temporary and "private or local address" in caught.value.message
    assert simulator.platform.token_requests == 0


def test_a_platform_url_without_https_is_refused_unless_private_hosts_are_allowed(connection, settings):
    from facturier.platforms.models import Platform

    Platform.objects.filter(pk=connection.platform_id).update(flow_url="http://pa.example.com/flow-service",
                                                              token_url="http://pa.example.com/token")
    connection.refresh_from_db()
    settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS = False
    with FlowClient(connection) as flows, pytest.raises(Unreachable) as caught:
        flows.health()
    assert caught.value.step == Step.TOKEN and not caught.value.temporary
    assert "is not https" in caught.value.message


def test_the_simulator_started_by_run_is_the_one_loopback_platform_allowed(connection, simulator, settings,
                                                                          monkeypatch):
    settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS = False
    monkeypatch.setenv("FACTURIER_PA_SIMULATOR_ADDRESS", f"127.0.0.1:{simulator.port}")
    with FlowClient(connection) as flows:
        flows.health()


def test_a_bearer_token_connection_sends_it_and_a_revoked_one_is_named(org, simulator, pa_platform, checked):
    from facturier.platforms.services import connection_save

    pa_platform.auth_kind = "bearer"
    pa_platform.save()
    simulator.add_bearer("static-token", CLIENT_ID)
    connection = connection_save(by=org.owner, platform_id=pa_platform.pk, bearer_token="static-token")
    with FlowClient(connection) as flows:
        flows.health()
    connection = connection_save(by=org.owner, connection_id=connection.pk, bearer_token="revoked")
    with FlowClient(connection) as flows, pytest.raises(TokenRejected) as caught:
        flows.search(limit=1)
    assert caught.value.step == Step.FLOW_SEARCH


def test_the_directory_gives_lines_companies_and_routing_codes(connection, simulator, checked):
    with DirectoryClient(connection) as directory:
        directory.health()
        two = directory.lines_for_siren("798765434")
        assert sorted(line.kind for line in two) == ["SIREN", "SIREN_SIRET"]
        assert {line.scheme for line in two} == {"0225"}
        assert directory.lines_for_siren("800123457") == []
        routed = directory.lines_for_siren("552100554")
        assert sorted(line.kind for line in routed) == ["SIREN_SIRET_ROUTINGCODE", "SIREN_SUFFIX"]
        line = directory.line("552100554_55210055400013_ACHATS-NORD")
        assert (line.siret, line.routing_identifier) == ("55210055400013", "ACHATS-NORD")
        assert directory.line("999999999") is None
        assert directory.company("884123456").name == "Atelier Numérique Lumière SAS"
        assert directory.company("111111118") is None
        assert directory.companies("612345678")[0].entity_type == "Public"
        assert directory.facility("61234567800017")["siren"] == "612345678"
        assert directory.routing_codes("61234567800017")[0]["routingIdentifier"] == "SERV-FIN-01"
        assert directory.lines_for_siret("79876543400021")[0].kind == "SIREN_SIRET"


def test_organisation_id_header_separates_tenants_at_the_platform(connection, simulator, org, pa_platform):
    from facturier.platforms.services import connection_save

    with FlowClient(connection) as flows:
        flows.submit(file_name="a.xml", data=b"<x/>", flow_syntax="CDAR", tracking_id="mine")
    other = connection_save(by=org.owner, connection_id=connection.pk, organization_id="someone-else")
    with FlowClient(other) as flows:
        assert flows.search(tracking_id="mine").flows == []
