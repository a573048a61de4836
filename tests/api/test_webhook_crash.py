"""A real `facturier worker` killed with SIGKILL while a receiver on loopback holds its webhook request:
the next worker recovers the delivery as "unknown" and never sends it again on its own, and sends the
delivery the dead one had not begun, once.

The worker is a subprocess sharing the test's database, as in the e-mail crash test (its
`SharedDatabase`: on PostgreSQL the test database itself, on SQLite a file copied both ways).
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from facturier.api.models import WebhookDelivery, WebhookDeliveryState
from facturier.api.webhooks import webhook_send_test

FACTURIER = Path(sys.executable).with_name("facturier")
_spec = importlib.util.spec_from_file_location(
    "facturier_tests_delivery_crash", Path(__file__).resolve().parents[1] / "delivery" / "test_crash.py")
crash = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(crash)


@pytest.fixture
def shared(transactional_db, tmp_path):
    """Requested before the organisation's fixtures, so that its snapshot is the empty database."""
    database = crash.SharedDatabase(tmp_path)
    database.snapshot()
    yield database
    database.restore()


@pytest.fixture
def queued_in_the_database(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def start_worker(shared, log: Path) -> subprocess.Popen:
    env = {**os_environ(), "DATABASE_URL": shared.url, "FACTURIER_DATA_DIR": str(settings.DATA_DIR),
           "FACTURIER_TASKS": "database", "FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS": "1",
           "FACTURIER_LOG_LEVEL": "warning"}
    with log.open("ab") as out:
        return subprocess.Popen([str(FACTURIER), "worker", "--interval", "0.05", "--no-schedule"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def os_environ() -> dict[str, str]:
    import os

    return dict(os.environ)


def states(shared) -> dict[str, int]:
    return {state: shared.count(f"SELECT COUNT(*) FROM api_webhookdelivery WHERE state = '{state}'")
            for state in WebhookDeliveryState.values}


def test_a_worker_killed_while_the_receiver_holds_its_request_leaves_it_unknown_and_sends_the_rest_once(
        shared, org, owner, receiver, make_endpoint, queued_in_the_database, tmp_path):
    endpoint = make_endpoint(["document.issued"])
    receiver.plan = [(200, 60.0)]  # the first request is held: the worker dies waiting for the answer
    held = webhook_send_test(by=owner, endpoint_id=endpoint.pk)
    waiting = webhook_send_test(by=owner, endpoint_id=endpoint.pk)  # not begun when the worker dies
    shared.to_workers()
    log = tmp_path / "worker.log"

    first = start_worker(shared, log)
    crash.wait_for(lambda: len(receiver.requests) == 1, timeout=120, what="the held request", log=log)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert states(shared)["sending"] == 1 and states(shared)["pending"] == 1

    second = start_worker(shared, log)  # recovers at start: unknown for the held one, the rest re-queued
    try:
        crash.wait_for(lambda: states(shared)["delivered"] == 1 and states(shared)["unknown"] == 1, timeout=120,
                       what="recovery and the second delivery", log=log)
        time.sleep(1.0)  # time enough for a wrong resend to show
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    shared.from_workers()

    assert [r.headers["Facturier-Delivery-Id"] for r in receiver.requests] == [str(held.pk), str(waiting.pk)]
    assert all(r.signed for r in receiver.requests)
    unknown = WebhookDelivery.objects.get(pk=held.pk)
    assert unknown.state == WebhookDeliveryState.UNKNOWN
    # Written in the worker's language (French by default).
    assert "may have it" in unknown.last_error or "peut-être reçu" in unknown.last_error
    assert WebhookDelivery.objects.get(pk=waiting.pk).state == WebhookDeliveryState.DELIVERED
