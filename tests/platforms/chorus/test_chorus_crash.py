"""A real `facturier worker` killed with SIGKILL while Chorus Pro (the simulator, over real HTTP) holds its
deposit: the next worker leaves that deposit "unknown" and never deposits it again on its own, and deposits
the invoice the dead one had not begun, once; the next poll finds the held one on Chorus Pro.

The worker is a subprocess sharing the test's database, as in the e-mail crash test (`SharedDatabase`).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from facturier.delivery.services import send_documents
from facturier.platforms.chorus.models import ChorusSubmission, SubmissionState
from facturier.platforms.chorus.outbox import chorus_poll

FACTURIER = Path(sys.executable).with_name("facturier")
_spec = importlib.util.spec_from_file_location(
    "facturier_tests_delivery_crash_chorus", Path(__file__).resolve().parents[2] / "delivery" / "test_crash.py")
crash = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(crash)


@pytest.fixture
def shared(transactional_db, tmp_path):
    """Requested before the organisation's fixtures, so that its snapshot is the empty database."""
    database = crash.SharedDatabase(tmp_path)
    database.snapshot()
    yield database
    database.restore()


def start_worker(shared, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": shared.url, "FACTURIER_DATA_DIR": str(settings.DATA_DIR),
           "FACTURIER_TASKS": "database", "FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS": "1",
           "FACTURIER_LOG_LEVEL": "warning"}
    with log.open("ab") as out:
        return subprocess.Popen([str(FACTURIER), "worker", "--interval", "0.05", "--no-schedule"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def states(shared) -> dict[str, int]:
    return {state: shared.count(f"SELECT COUNT(*) FROM chorus_chorussubmission WHERE state = '{state}'")
            for state in SubmissionState.values}


def test_a_worker_killed_while_chorus_holds_its_deposit_deposits_nothing_twice(
        shared, org, owner, chorus_account, chorus_sim, public_customer, make_public_invoice, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    held, waiting = make_public_invoice(public_customer), make_public_invoice(public_customer)
    chorus_sim.hang_next(1, seconds=60.0)  # the first deposit is recorded, its answer never comes
    assert send_documents(by=owner, document_ids=[held.pk, waiting.pk]).queued == [held.pk, waiting.pk]
    shared.to_workers()
    log = tmp_path / "worker.log"

    first = start_worker(shared, log)
    crash.wait_for(lambda: len(chorus_sim.deposits) == 1, timeout=120, what="the held deposit", log=log)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert states(shared)["sending"] == 1 and states(shared)["pending"] == 1

    second = start_worker(shared, log)  # recovers at start: unknown for the held one, the other deposited
    try:
        crash.wait_for(lambda: states(shared)["deposited"] == 1 and states(shared)["unknown"] == 1, timeout=120,
                       what="recovery and the second deposit", log=log)
        time.sleep(1.0)  # time enough for a wrong second deposit to show
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    shared.from_workers()

    assert len(chorus_sim.deposits) == 2
    assert ChorusSubmission.objects.get(document=held).state == SubmissionState.UNKNOWN
    assert ChorusSubmission.objects.get(document=waiting).state == SubmissionState.DEPOSITED
    chorus_poll(organisation_id=org.pk)  # the held one is found on Chorus Pro by its number
    assert ChorusSubmission.objects.get(document=held).state == SubmissionState.DEPOSITED
    assert len(chorus_sim.deposits) == 2
