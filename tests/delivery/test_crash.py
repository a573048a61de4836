"""A real `facturier worker` killed with SIGKILL at random points while it archives and sends a batch:
after restarts, every document is archived, every message reached the SMTP server once (or is left
"unknown, check", never twice), and `archive verify` passes.

The worker is a subprocess sharing the test's database: on PostgreSQL the test database itself (the
test commits: transactional_db); on SQLite the in-memory test database is copied to a file for the
workers and copied back for the checks.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from facturier.archive.selectors import unarchived_documents
from facturier.archive.verification import archive_verify
from facturier.delivery.models import OutboxMessage, OutboxState
from facturier.delivery.services import send_documents

FACTURIER = Path(sys.executable).with_name("facturier")
SEEDS = (11, 23, 37)
DOCUMENTS_PER_SEED = 10
KILLS_PER_SEED = 2


class SharedDatabase:
    """The database as the worker subprocesses see it, and the test's view of it kept in step."""

    def __init__(self, folder: Path):
        self.sqlite = connection.vendor == "sqlite"
        self.file = folder / "shared.sqlite3"
        self.pristine = folder / "pristine.sqlite3"
        if self.sqlite:
            self.url = f"sqlite:///{self.file}"
        else:
            s = connection.settings_dict
            self.url = (f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:"
                        f"{s['PORT'] or 5432}/{s['NAME']}")

    def snapshot(self) -> None:
        """On SQLite, the empty database, put back at the end: Django's flush cannot empty the append-only
        tables (their triggers refuse DELETE), and must not need to."""
        if self.sqlite:
            connection.ensure_connection()
            with sqlite3.connect(self.pristine) as target:
                connection.connection.backup(target)

    def restore(self) -> None:
        if self.sqlite:
            self._copy(self.pristine)

    def to_workers(self) -> None:
        if self.sqlite:
            connection.ensure_connection()
            with sqlite3.connect(self.file) as target:
                connection.connection.backup(target)

    def from_workers(self) -> None:
        if self.sqlite:
            self._copy(self.file)

    def _copy(self, path: Path) -> None:
        connection.ensure_connection()
        source = sqlite3.connect(path)
        try:
            source.backup(connection.connection)
        finally:
            source.close()

    def count(self, sql: str) -> int:
        if self.sqlite:
            with sqlite3.connect(self.file, timeout=20) as db:
                return db.execute(sql).fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]


def worker_env(shared: SharedDatabase) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": shared.url, "FACTURIER_DATA_DIR": str(settings.DATA_DIR),
            "FACTURIER_TASKS": "database", "FACTURIER_MAIL_ALLOW_PRIVATE_HOSTS": "1",
            "FACTURIER_MAIL_ALLOW_PLAIN_AUTH": "1",  # the test SMTP server listens in clear on loopback
            "FACTURIER_LOG_LEVEL": "warning"}


def start_worker(shared: SharedDatabase, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen([str(FACTURIER), "worker", "--interval", "0.05", "--no-schedule"],
                                env=worker_env(shared), stdout=out, stderr=subprocess.STDOUT)


def registered(shared: SharedDatabase, process: subprocess.Popen) -> bool:
    return shared.count(f"SELECT COUNT(*) FROM facturier_config_worker WHERE pid = {process.pid}") == 1


def left_to_do(shared: SharedDatabase) -> int:
    tasks = shared.count("SELECT COUNT(*) FROM django_tasks_database_dbtaskresult "
                         "WHERE status IN ('READY', 'RUNNING')")
    messages = shared.count("SELECT COUNT(*) FROM delivery_outboxmessage WHERE state IN ('pending', 'sending')")
    return tasks + messages


def wait_for(condition, *, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""
            pytest.fail(f"timed out waiting for {what}" + (f"; the workers' log ends with:\n{tail}" if tail else ""))
        time.sleep(0.05)


@pytest.fixture
def shared(transactional_db, tmp_path):
    """Requested before the organisation's fixtures, so that its snapshot is the empty database."""
    database = SharedDatabase(tmp_path)
    database.snapshot()
    yield database
    database.restore()


@pytest.fixture
def queued_in_the_database(settings):
    """Tasks go to the database queue (as in production) instead of running at once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_a_worker_killed_at_random_points_archives_everything_and_sends_each_document_at_most_once(
        shared, org, owner, mail, smtp_server, customers, issue, queued_in_the_database, tmp_path):
    log = tmp_path / "worker.log"
    kills = []
    for seed in SEEDS:
        rng = random.Random(seed)
        documents = [issue(customers["C002"]) for _ in range(DOCUMENTS_PER_SEED)]  # archiving queued
        send_documents(by=owner, document_ids=[d.pk for d in documents])  # the flush queued
        shared.to_workers()
        for _kill in range(KILLS_PER_SEED):
            worker = start_worker(shared, log)
            wait_for(lambda w=worker: registered(shared, w) or w.poll() is not None, timeout=120,
                     what="the worker to start", log=log)
            time.sleep(rng.uniform(0.0, 1.5))
            kills.append((seed, left_to_do(shared)))
            worker.send_signal(signal.SIGKILL)
            worker.wait()
        worker = start_worker(shared, log)  # the last one recovers and finishes
        try:
            # Generous: a loaded CI machine starts Django slowly; the loop still ends by itself.
            wait_for(lambda: left_to_do(shared) == 0, timeout=240, what="the queue to empty", log=log)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
        shared.from_workers()

    received = smtp_server.by_message_id()
    assert received and set(received.values()) == {1}, f"sent twice: {received}"
    rows = list(OutboxMessage.objects.filter(organisation=org).values_list("message_id", "state"))
    assert len(rows) == len(SEEDS) * DOCUMENTS_PER_SEED
    assert {state for _mid, state in rows} <= {OutboxState.SENT, OutboxState.UNKNOWN}
    assert all(received.get(mid) == 1 for mid, state in rows if state == OutboxState.SENT)
    assert set(received) <= {mid for mid, _state in rows}
    assert not unarchived_documents(organisation=org).exists()
    report = archive_verify(org)
    assert report.ok, [p.message.en for p in report.problems]
    assert any(remaining for _seed, remaining in kills), f"no kill landed during the work: {kills}"
    verify = subprocess.run([str(FACTURIER), "archive", "verify", "--org", org.slug], env=worker_env(shared),
                            check=False, capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stderr
