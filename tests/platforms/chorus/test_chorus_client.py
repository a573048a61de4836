"""The Chorus Pro client against the simulator over real HTTP, without Django's database: the outbound
policy, a file that is not a Factur-X PDF, the token cache."""

from __future__ import annotations

import pytest

from facturier.platforms.chorus import client as cp
from facturier.platforms.chorus import simulator as sim


@pytest.fixture
def server():
    cp.forget_tokens()
    s = sim.start_simulator()
    yield s
    s.stop()
    cp.forget_tokens()


def _endpoint(server, **changes) -> cp.Endpoint:
    values = dict(token_url=server.token_url, api_url=server.api_url, client_id=sim.CLIENT_ID,
                  client_secret=sim.CLIENT_SECRET, login=sim.LOGIN, password=sim.PASSWORD, allow_private=True,
                  timeout=2.0)
    values.update(changes)
    return cp.Endpoint(**values)


def test_a_loopback_address_is_refused_unless_the_operator_allows_private_hosts(server):
    with cp.ChorusClient(_endpoint(server, allow_private=False)) as client, \
            pytest.raises(cp.ChorusError) as refused:
        client.token()
    assert refused.value.step == cp.Step.TOKEN and "not a public address" in refused.value.message
    assert server.state.token_requests == 0


def test_a_file_that_is_not_a_facturx_pdf_is_deposited_then_its_flow_rejected_with_the_reason(server):
    with cp.ChorusClient(_endpoint(server)) as client:
        deposit = client.deposer_flux(file_name="x.pdf", data=b"not a pdf")
        report = client.consulter_cr(deposit.flow_number)
    assert report.rejected and report.errors == ["Le fichier n'est pas un PDF."]


def test_the_token_is_cached_until_it_expires(server):
    with cp.ChorusClient(_endpoint(server)) as client:
        client.rechercher_factures(invoice_number="F-1")
        client.rechercher_factures(invoice_number="F-2")
    assert server.state.token_requests == 1


def test_chorus_answering_503_is_a_temporary_error_and_400_a_refusal(server):
    with cp.ChorusClient(_endpoint(server)) as client:
        server.fail_next(1, status=503)
        with pytest.raises(cp.Unreachable) as down:
            client.rechercher_factures(invoice_number="F-1")
        assert down.value.temporary and "503" in down.value.message
        with pytest.raises(cp.Refused) as refused:
            client.call(cp.DEPOSER_FLUX, {"nomFichier": "x.pdf"}, reversible=False)
        assert not refused.value.temporary and "obligatoires" in refused.value.message


def test_nothing_listening_is_unreachable_not_unknown(server):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"  # closed: nothing listens there
    with cp.ChorusClient(_endpoint(server, token_url=url + "/api/oauth/token", api_url=url)) as client, \
            pytest.raises(cp.Unreachable) as down:
        client.token()
    assert down.value.temporary


def test_the_chorus_simulator_command_serves_the_token_endpoint(tmp_path):
    import os
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(Path(sys.executable).with_name("facturier")), "chorus-simulator", "--port", str(port)]
    process = subprocess.Popen(command, env={**os.environ, "FACTURIER_DATA_DIR": str(tmp_path)},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline, answer = time.monotonic() + 60, None
        while time.monotonic() < deadline and answer is None:
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/api/oauth/token", data={
                    "grant_type": "client_credentials", "client_id": sim.CLIENT_ID,
                    "client_secret": sim.CLIENT_SECRET})
            except httpx.TransportError:
                time.sleep(0.3)
        assert answer is not None and answer.status_code == 200 and answer.json()["access_token"]
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0  # stopped cleanly on SIGTERM


def test_a_token_about_to_expire_is_fetched_again_before_it_is_used():
    import time

    cp.forget_tokens()
    server = sim.start_simulator(token_lifetime_s=31)  # cached for 1 s: 30 s of margin before its expiry
    try:
        with cp.ChorusClient(_endpoint(server)) as client:
            client.rechercher_factures(invoice_number="F-1")
            time.sleep(1.2)
            client.rechercher_factures(invoice_number="F-2")
        assert server.state.token_requests == 2
    finally:
        server.stop()
        cp.forget_tokens()
