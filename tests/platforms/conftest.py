"""Fixtures of the platform tests: a real simulated PA on loopback, a Platform row pointing at it, and an
organisation's connection to it; every exchange checked against the AFNOR OpenAPI files when they are
beside the checkout (`checked` fixture)."""

from __future__ import annotations

import pytest
from pa_helpers import CLIENT_ID, CLIENT_SECRET


@pytest.fixture
def simulator():
    from facturier.platforms.simulator import start_simulator

    sim = start_simulator(clients={CLIENT_ID: CLIENT_SECRET}, status_delay=0.05, token_ttl=3600)
    yield sim
    sim.stop()


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS = True
    from facturier.platforms.client import forget_tokens

    forget_tokens()
    yield
    forget_tokens()


@pytest.fixture
def pa_platform(db, simulator):
    from facturier.platforms.services import simulator_platform

    return simulator_platform(simulator.url)


@pytest.fixture
def connection(org, pa_platform):
    from facturier.platforms.services import connection_save

    return connection_save(by=org.owner, platform_id=pa_platform.pk, organization_id="acme", client_id=CLIENT_ID,
                           client_secret=CLIENT_SECRET, flow_syntax="CII", enabled=True)


@pytest.fixture
def checked(simulator):
    """Every request and answer of the platform client checked against the OpenAPI files (skips without them)."""
    from openapi_check import OpenApiCheck

    with OpenApiCheck(flow_url=simulator.flow_url, directory_url=simulator.directory_url,
                      token_url=simulator.token_url) as check:
        yield check
    assert not check.failures, check.failures
