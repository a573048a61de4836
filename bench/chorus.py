"""Chorus Pro: invoices per second through the whole outbox (claim, deposit mark, `deposer/flux` over real
HTTP with its base64 Factur-X, outcome, delivery state and history) to the Chorus Pro simulator running in
its own process, then statuses read per second (consulterCRDetaille, rechercher, consulter/fournisseur).

- chorus_deposits_per_s: one flush of BENCH_CHORUS_COUNT (default 200) queued invoices, one PISTE token;
- chorus_polls_per_s: the first poll of those deposits (three calls each) and their status recorded.

Each invoice's real Factur-X is made beforehand (the `outbox.file_of` seam), and the simulator reads every
deposit with the engine; what is measured is the deposit path, not rendering. Writes bench/results/chorus.json.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
os.environ.setdefault("FACTURIER_DATA_DIR", tempfile.mkdtemp(prefix="bench-chorus-"))
os.environ["FACTURIER_TASKS"] = "database"  # queued, not run: the benchmark runs the flush itself
os.environ["FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS"] = "true"

import django  # noqa: E402

django.setup()

RESULTS = Path(__file__).resolve().parent / "results"
COUNT = int(os.environ.get("BENCH_CHORUS_COUNT", "200"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(port: int, ready) -> None:
    from facturier.platforms.chorus.simulator import start_simulator

    start_simulator(port=port, step_s=None)
    ready.set()
    while True:
        time.sleep(3600)


def _setup():
    import datetime as dt
    from decimal import Decimal

    from django.core.management import call_command

    from facturier.accounts.models import User
    from facturier.accounts.services import organisation_create
    from facturier.invoicing.models import Series
    from facturier.invoicing.services import document_issue, draft_create
    from facturier.parties.services import customer_create

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("owner@bench-chorus.test", "correct horse battery")
    organisation = organisation_create(
        slug="bench-chorus", name="Bench", effective_from=dt.date(2020, 1, 1), owner=user,
        legal=dict(legal_name="Bench SAS", legal_form="SAS", siren="884123456", siret="88412345600011",
                   vat_number="FR52884123456", address_line1="1 rue du Test", postcode="69001", city="Lyon"))
    Series.objects.create(organisation=organisation, code="FA", name="Factures", prefix="FA-{year}-")
    owner = user.memberships.get(organisation=organisation)
    customer = customer_create(
        by=owner, code="MAIRIE", name="Mairie", siren="612345678", siret="61234567800017", is_public_sector=True,
        chorus_service_code="SERV-FIN-01", preferred_channel="chorus", effective_from=dt.date(2020, 1, 1),
        billing_address={"line1": "Place de la Mairie", "postcode": "69300", "city": "Caluire"})
    documents = []
    for _ in range(COUNT):
        draft = draft_create(by=owner, customer_id=customer.pk, lines=[
            {"name": "Prestation", "quantity": Decimal(1), "unit_price": Decimal(100)}])
        documents.append(document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2)))
    return owner, documents


def run() -> dict:
    from django.utils import timezone

    from facturier.documents.services import facturx_of
    from facturier.platforms.chorus import outbox
    from facturier.platforms.chorus import simulator as sim
    from facturier.platforms.chorus.models import ChorusSubmission
    from facturier.platforms.chorus.services import account_save, account_test

    owner, documents = _setup()
    ctx = multiprocessing.get_context("fork")
    port, ready = _free_port(), ctx.Event()
    server = ctx.Process(target=_serve, args=(port, ready), daemon=True)
    server.start()
    ready.wait(30)
    url = f"http://127.0.0.1:{port}"
    account_save(by=owner, environment="custom", token_url=f"{url}/api/oauth/token", api_url=url,
                 client_id=sim.CLIENT_ID, client_secret=sim.CLIENT_SECRET, login=sim.LOGIN, password=sim.PASSWORD)
    assert all(s["ok"] for s in account_test(by=owner))
    files = {d.pk: facturx_of(d, signed=False).data for d in documents}  # made beforehand: not measured
    outbox.file_of = lambda submission: (f"{submission.document.number}.pdf", files[submission.document_id])
    now = timezone.now()
    ChorusSubmission.objects.bulk_create([ChorusSubmission(
        organisation_id=d.organisation_id, document=d, next_attempt_at=now, file_name=f"{d.number}.pdf")
        for d in documents])
    t = time.perf_counter()
    report = outbox.chorus_flush(organisation_id=owner.organisation.pk)
    deposits = time.perf_counter() - t
    assert report.sent == COUNT, report
    t = time.perf_counter()
    outbox.chorus_poll(organisation_id=owner.organisation.pk)
    polls = time.perf_counter() - t
    assert ChorusSubmission.objects.filter(status="DEPOSEE").count() == COUNT
    server.terminate()
    return {"chorus_deposits_per_s": round(COUNT / deposits, 1), "chorus_polls_per_s": round(COUNT / polls, 1),
            "chorus_file_kb": len(files[documents[0].pk]) // 1024, "chorus_invoices": COUNT}


if __name__ == "__main__":
    results = run()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "chorus.json").write_text(json.dumps(results, indent=2) + "\n")
    json.dump(results, sys.stdout, indent=2)
    print()
