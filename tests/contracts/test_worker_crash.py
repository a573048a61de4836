"""A real `facturier worker` generating contract invoices is killed (SIGKILL) twice in the middle of its run,
then restarted: every period due is invoiced exactly once — none twice, none skipped — and those to issue
are issued.

The worker shares the test's database as in tests/delivery/test_crash.py (whose helpers this reuses): on
PostgreSQL the test database itself, on SQLite a file copy of it, copied back for the checks.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import signal
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from facturier.contracts import calendar
from facturier.contracts.models import Action, Contract, ContractPeriod, Outcome
from facturier.contracts.services import contract_create
from facturier.invoicing.models import Document, State

_spec = importlib.util.spec_from_file_location(
    "delivery_crash_helpers", Path(__file__).resolve().parents[1] / "delivery" / "test_crash.py")
crash = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(crash)

CONTRACTS = 24
MONTHS_BACK = 6


@pytest.fixture
def shared(transactional_db, tmp_path):
    database = crash.SharedDatabase(tmp_path)
    database.snapshot()
    yield database
    database.restore()


@pytest.fixture
def queued_in_the_database(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _periods_made(shared) -> int:
    return shared.count("SELECT COUNT(*) FROM contracts_contractperiod")


def _left(shared) -> int:
    return (shared.count("SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status IN ('READY', 'RUNNING')")
            + shared.count("SELECT COUNT(*) FROM contracts_contractperiod WHERE outcome = 'pending'"))


def test_a_worker_killed_mid_run_invoices_each_contract_period_once_after_restart(
        shared, org, owner, queued_in_the_database, tmp_path):
    from facturier.contracts.tasks import generate_due_task

    today = timezone.localdate()
    expected: dict[int, list[dt.date]] = {}
    for i in range(CONTRACTS):
        start = calendar.add_months(today, -MONTHS_BACK, 28 if i % 3 else 31) - dt.timedelta(days=i % 3)
        contract = contract_create(by=owner, customer_id=org.customer.pk, name=f"Contrat {i}",
                                   lines=[{"name": "Abonnement", "quantity": Decimal(1),
                                           "unit_price": Decimal(30 + i)}],
                                   start_date=start, action=Action.ISSUE if i % 2 else Action.DRAFT)
        expected[contract.pk] = [p.start for p in _due(start, contract.day_of_month, today)]
    total = sum(len(v) for v in expected.values())
    generate_due_task.enqueue()
    shared.to_workers()
    log = tmp_path / "worker.log"
    seen = []
    for threshold in (total // 4, total // 2):
        worker = crash.start_worker(shared, log)
        try:
            crash.wait_for(lambda t=threshold, w=worker: _periods_made(shared) >= t or w.poll() is not None,
                           timeout=240, what=f"{threshold} periods generated", log=log)
        finally:
            seen.append(_periods_made(shared))
            worker.send_signal(signal.SIGKILL)
            worker.wait()
    worker = crash.start_worker(shared, log)
    try:
        crash.wait_for(lambda: _left(shared) == 0 and _periods_made(shared) == total, timeout=300,
                       what="every period generated", log=log)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    shared.from_workers()

    assert any(0 < n < total for n in seen), f"no kill landed during the run: {seen} of {total}"
    for contract in Contract.objects.filter(organisation=org):
        rows = list(ContractPeriod.objects.filter(contract=contract).order_by("start"))
        assert [r.start for r in rows] == expected[contract.pk]
        want = Outcome.ISSUED if contract.action == Action.ISSUE else Outcome.DRAFT
        assert {r.outcome for r in rows} == {want}, [(r.start, r.outcome, r.reason) for r in rows]
    documents = Document.objects.filter(organisation=org)
    assert documents.count() == total  # no draft left without its period, none made twice
    assert documents.filter(state=State.ISSUED).count() == sum(
        len(v) for pk, v in expected.items() if Contract.objects.get(pk=pk).action == Action.ISSUE)


def _due(start: dt.date, day: int, today: dt.date):
    for p in calendar.periods(start, step=1, day=day, in_advance=True):
        if p.due > today:
            return
        yield p
