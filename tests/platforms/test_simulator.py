"""The simulated PA itself: its life-cycle messages pass the CDAR XSD and BR-FR-CDV rules, its directory
knows the demo's customers, it checks the CDAR a seller submits, it serves from `facturier pa-simulator`,
and its faults can be set over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from facturier.engine import cdar
from facturier.platforms.client import FlowClient
from facturier.platforms.simulator import DIRECTORY
from facturier.platforms.simulator.cdar import StatusEvent, build

EVENT = dict(invoice_number="FA-2026-0001", invoice_issue_date="20260302", invoice_type_code="380",
             seller_siren="884123456", seller_name="Atelier", buyer_siren="412345670", buyer_name="Boulangerie")


@pytest.mark.parametrize("status,reason_code", [("200", ""), ("202", ""), ("204", ""), ("205", ""),
                                                ("213", "REJ_SEMAN"), ("221", "ROUTAGE_ERR"),
                                                ("501", "IRR_SYNTAX")])
def test_every_status_the_simulator_emits_passes_the_cdar_rules(status, reason_code):
    data = build(StatusEvent(status=status, reason_code=reason_code, reason="Motif" if reason_code else "", **EVENT))
    xsd = cdar.xsd_dir_in(settings.SPECS_DIR)
    report = cdar.validate(data, xsd_dir=xsd)
    assert report.ok, report.errors
    message = cdar.parse(data)
    assert (message.invoice.status_code, message.invoice.number) == (status, "FA-2026-0001")


def test_the_cdar_is_also_checked_against_the_xsd_when_the_specs_are_there():
    xsd = cdar.xsd_dir_in(settings.SPECS_DIR)
    if xsd is None:
        pytest.skip("../shared/specs is not beside the checkout: the CDAR XSD check cannot run")
    report = cdar.validate(build(StatusEvent(status="205", **EVENT)), xsd_dir=xsd)
    assert report.ok and report.xsd_checked


def test_the_directory_knows_every_french_customer_of_the_demo_and_the_demo_itself():
    from facturier.config.demo import CUSTOMERS, LEGAL

    known = {c.siren for c in DIRECTORY}
    assert LEGAL["siren"] in known
    assert {siren for _code, _name, siren, *_rest in CUSTOMERS if siren} <= known


def test_a_seller_status_that_breaks_the_rules_is_acknowledged_in_error(connection, simulator, checked):
    good = build(StatusEvent(status="205", **EVENT))
    with FlowClient(connection) as flows:
        ok = flows.submit(file_name="ok.xml", data=good, flow_syntax="CDAR", processing_rule="B2B", tracking_id="s1")
        bad = flows.submit(file_name="bad.xml", data=b"<notcdar/>", flow_syntax="CDAR", tracking_id="s2")
        assert simulator.wait_idle()
        assert flows.get(ok.flow_id).ack_status == "Ok"
        refused = flows.get(bad.flow_id)
        assert refused.ack_status == "Error" and refused.ack_details[0]["reasonCode"] == "InvoiceLCRuleError"


def _post(url, payload):
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_faults_are_set_over_http_and_a_status_can_be_scripted(connection, simulator, issued):
    from facturier.documents.services import document_xml
    from facturier.platforms.client import Refused

    _post(simulator.url + "/_admin/faults", {"fail_next": 2, "status": 503})
    with FlowClient(connection) as flows:
        for _ in range(2):
            with pytest.raises(Refused) as caught:
                flows.health()
            assert caught.value.status == 503 and caught.value.temporary
        flows.health()
        submitted = flows.submit(file_name="i.xml", data=document_xml(issued, "cii"), flow_syntax="CII",
                                 processing_rule="B2B", tracking_id=str(issued.pk))
        assert simulator.wait_idle()
        flow = _post(simulator.url + "/_admin/statuses", {"flowId": submitted.flow_id, "status": "210",
                                                          "reasonCode": "TX_TVA_ERR", "reason": "Taux erroné"})
        assert b"<ram:ProcessConditionCode>210</ram:ProcessConditionCode>" in flows.download(flow["flowId"])
    _post(simulator.url + "/_admin/faults", {"expire_tokens": True})
    with FlowClient(connection) as flows:
        flows.search(limit=1)  # renewed on 401


def test_the_pa_simulator_command_serves_until_stopped(tmp_path):
    from socket import socket

    with socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "FACTURIER_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen([str(Path(sys.executable).with_name("facturier")), "pa-simulator", "--port",
                                str(port), "--client", "x:y"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/flow-service/v1/healthcheck", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, process.stdout.read().decode()
                time.sleep(0.3)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/auth/token", method="POST",
                                         data=b"grant_type=client_credentials&client_id=x&client_secret=y")
        with urllib.request.urlopen(request, timeout=5) as r:
            assert json.loads(r.read())["token_type"] == "Bearer"
        assert (tmp_path / "pa-simulator.sqlite3").exists()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(timeout=30) == 0  # stopped cleanly (its threads joined), not killed


def test_the_simulator_runs_without_django():
    code = ("import sys\nfrom facturier.platforms.simulator import start_simulator\n"
            "s = start_simulator(clients={'a': 'b'})\ns.stop()\n"
            "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
