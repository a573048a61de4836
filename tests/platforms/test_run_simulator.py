"""`facturier run`'s simulator: started unless FACTURIER_PA_SIMULATOR=off, the installation's simulator platform
pointed at it, the organisations without a connection connected, and the loopback address allowed to the
client without the operator's private-hosts switch."""

from __future__ import annotations

import pytest

from facturier.platforms.client import FlowClient
from facturier.platforms.demo import simulator_for_run
from facturier.platforms.models import Platform, PlatformConnection
from facturier.platforms.services import SIMULATOR_NAME, run_test


@pytest.fixture
def run_simulator(org, settings, monkeypatch, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS = False
    monkeypatch.setenv("FACTURIER_PA_SIMULATOR_DELAY", "0.05")
    monkeypatch.setenv("FACTURIER_PA_SIMULATOR_ADDRESS", "")  # undone after the test: run sets it
    simulator = simulator_for_run(slugs=(org.slug,))
    yield simulator
    simulator.stop()


def test_run_starts_the_simulator_and_connects_the_organisation_to_it(run_simulator, org, monkeypatch):
    platform = Platform.objects.get(name=SIMULATOR_NAME)
    assert platform.flow_url == run_simulator.flow_url
    connection = PlatformConnection.objects.get(organisation=org)
    report = run_test(connection)
    assert report.ok, report.steps
    with FlowClient(connection) as flows:
        flows.health()


def test_run_keeps_a_connection_the_organisation_already_has(org, pa_platform, connection, settings, monkeypatch,
                                                             tmp_path):
    settings.DATA_DIR = tmp_path
    monkeypatch.setenv("FACTURIER_PA_SIMULATOR_ADDRESS", "")  # undone after the test: run sets it
    simulator = simulator_for_run(slugs=(org.slug,))
    try:
        kept = PlatformConnection.objects.get(organisation=org)
        assert (kept.pk, kept.client_id) == (connection.pk, connection.client_id)
    finally:
        simulator.stop()


def test_run_without_the_simulator_when_told_so(org, monkeypatch):
    monkeypatch.setenv("FACTURIER_PA_SIMULATOR", "off")
    assert simulator_for_run(slugs=(org.slug,)) is None
    assert not PlatformConnection.objects.exists()
