"""Suite-wide test configuration.

The suite runs twice under `make test`: on SQLite (everything), then on PostgreSQL when a
server is reachable (only the tests that touch the database, with FACTURIER_TEST_DB_ONLY=1).
Tests marked `postgres` need PostgreSQL's row locks and run in that second pass only; tests marked `slow`
(long sweeps whose outcome does not depend on the database engine) run in the first pass only.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

SHARED_SPECS = (Path(__file__).resolve().parents[1] / ".." / "shared" / "specs").resolve()
"""The reform's specifications beside the checkout (../shared/specs): the tests name them to the product
(FACTURIER_SPECS_DIR, for this process and the servers it starts) when they are there; the product itself
never looks for them."""
if SHARED_SPECS.is_dir() and "FACTURIER_SPECS_DIR" not in os.environ:
    os.environ["FACTURIER_SPECS_DIR"] = str(SHARED_SPECS)
    from django.conf import settings as _settings

    _settings.SPECS_DIR = SHARED_SPECS

ORACLE = (Path(__file__).resolve().parents[1] / ".." / "shared" / "tools" / "einvoice-oracle" /
          "einvoice-oracle").resolve()

DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"}


def _uses_db(item: pytest.Item) -> bool:
    return bool(DB_FIXTURES & set(getattr(item, "fixturenames", ()))) or item.get_closest_marker("django_db")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.db import connection

    on_postgres = connection.vendor == "postgresql"
    if os.environ.get("FACTURIER_TEST_DB_ONLY") == "1":
        # the PostgreSQL pass: what touches the database, but not the long sweeps the engine does not change
        kept = [i for i in items if _uses_db(i) and not i.get_closest_marker("slow")]
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept
    if not on_postgres:
        skip = pytest.mark.skip(reason="needs PostgreSQL (runs in the PostgreSQL pass of `make test`)")
        for item in items:
            if item.get_closest_marker("postgres"):
                item.add_marker(skip)


# --- Shared fixtures: two organisations with their people, customers and a draft ------------------

import datetime as dt  # noqa: E402
from decimal import Decimal  # noqa: E402


@pytest.fixture
def make_organisation(db):
    """Builds a tenant with a legal profile, an owner, the FA/AV series and one customer."""
    from facturier.accounts.models import Role, User
    from facturier.accounts.services import membership_add, organisation_create
    from facturier.invoicing.models import Series
    from facturier.parties.services import customer_create

    def make(slug: str = "acme", *, siren: str = "884123456", siret: str = "88412345600011",
             vat: str = "FR52884123456", since: dt.date = dt.date(2020, 1, 1)):
        owner_user = User.objects.create_user(f"owner@{slug}.test", "correct horse battery")
        organisation = organisation_create(
            slug=slug, name=slug.title(), effective_from=since, owner=owner_user,
            legal=dict(legal_name=f"{slug.title()} SAS", legal_form="SAS", siren=siren, siret=siret,
                       vat_number=vat, address_line1="1 rue du Test", postcode="69001", city="Lyon"))
        Series.objects.create(organisation=organisation, code="FA", name="Factures", prefix="FA-{year}-")
        Series.objects.create(organisation=organisation, code="AV", name="Avoirs", prefix="AV-{year}-")
        owner = owner_user.memberships.get(organisation=organisation)
        customer = customer_create(
            by=owner, code="C001", name="Client Un SARL", siren="412345670", siret="41234567000019",
            vat_number="FR96412345670", effective_from=since,
            billing_address={"line1": "2 avenue Client", "postcode": "75001", "city": "Paris"},
            contacts=[{"name": "Compta", "email": "compta@client.test"}])
        organisation.owner = owner
        organisation.customer = customer
        counter = iter(range(1, 10_000))
        organisation.member = lambda role, **rights: membership_add(
            organisation=organisation,
            user=User.objects.create_user(f"{role}-{next(counter)}@{slug}.test", "correct horse battery"),
            role=role, **rights)
        return organisation

    make.Role = Role
    return make


@pytest.fixture
def org(make_organisation):
    return make_organisation("acme")


@pytest.fixture
def other_org(make_organisation):
    return make_organisation("globex", siren="500123450", siret="50012345000016", vat="FR67500123450")


@pytest.fixture
def owner(org):
    return org.owner


@pytest.fixture
def lines():
    return [
        {"name": "Développement", "quantity": Decimal("10"), "unit": "HUR", "unit_price": Decimal("85.00")},
        {"name": "Écran", "quantity": Decimal("2"), "unit_price": Decimal("329.90"), "discount_percent": Decimal("10")},
        {"name": "Livre", "quantity": Decimal("3"), "unit_price": Decimal("12.00"), "vat_rate": Decimal("5.5")},
    ]


@pytest.fixture
def draft(owner, org, lines):
    from facturier.invoicing.services import draft_create

    return draft_create(by=owner, customer_id=org.customer.pk, lines=lines)


@pytest.fixture
def issued(owner, draft):
    from facturier.invoicing.services import document_issue

    return document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))


@pytest.fixture(autouse=True)
def english_by_default():
    """Tests read messages in English unless they switch to French (`translation.override("fr")`)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def audit_truncate_guard(request):
    """On PostgreSQL the audit log refuses TRUNCATE unless a superuser session allows it on purpose
    (the suite connects as one; the application's role never is: audit migration 0003).

    Tests in a transaction start with the guard on (the RESET is rolled back with the test);
    tests that commit (transactional_db) allow it at teardown, so Django's flush can empty
    the test database afterwards.
    """
    transactional = "transactional_db" in request.fixturenames or any(
        m.kwargs.get("transaction") for m in request.node.iter_markers("django_db"))
    uses_db = transactional or _uses_db(request.node)
    if not uses_db:
        yield
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("RESET facturier.audit_truncate")
    yield
    if transactional:
        with connection.cursor() as cursor:
            cursor.execute("SET facturier.audit_truncate = 'allowed'")


@pytest.fixture(scope="session")
def referee():
    """Judge files with the official referee in one call: {path: verdict dict}. Skips without ../shared."""
    if not ORACLE.is_file():
        pytest.skip(f"einvoice-oracle not found at {ORACLE}")

    def judge(paths, *extra: str) -> dict[str, dict]:
        run = subprocess.run([str(ORACLE), "--json", *extra, *map(str, paths)], capture_output=True, text=True,
                             check=False, timeout=1800)
        verdicts = {}
        for line in run.stdout.splitlines():
            if line.startswith("{"):
                verdict = json.loads(line)
                verdicts[verdict["file"]] = verdict
        assert verdicts, run.stderr[-2000:]
        return verdicts

    judge.fatal_findings = _fatal_findings
    return judge


def _fatal_findings(verdict: dict) -> list[str]:
    """The blocking findings of one verdict, one readable line each (for assertion messages)."""
    return [f"{r['artefact']}: {f['id']} {f['text'][:160]}" for r in verdict["results"] for f in r["findings"]
            if f.get("flag", "fatal") not in ("warning", "information")]


SMTP_USER, SMTP_PASSWORD = "mailer@acme.test", "s3cret-smtp"


@pytest.fixture
def smtp_server(settings):
    """aiosmtpd on a free loopback port, requiring AUTH (`.user`, `.password`); `.messages` holds what it accepted.

    tests/delivery has its own, without AUTH and with failures on demand."""
    import socket
    import types

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    settings.FACTURIER_MAIL_ALLOW_PRIVATE_HOSTS = True
    settings.FACTURIER_MAIL_ALLOW_PLAIN_AUTH = True  # the test servers listen in clear on loopback
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    state = types.SimpleNamespace(host="127.0.0.1", port=port, messages=[], user=SMTP_USER, password=SMTP_PASSWORD)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            state.messages.append(envelope)
            return "250 2.0.0 Message accepted"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == SMTP_USER
              and auth_data.password.decode() == SMTP_PASSWORD)
        return AuthResult(success=ok, handled=False)

    controller = Controller(Handler(), hostname=state.host, port=port, authenticator=authenticator,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    yield state
    controller.stop()


@pytest.fixture
def committed_db(transactional_db):
    """A database whose writes commit (a live server sees them). Issued documents are frozen by SQLite
    triggers that refuse the flush after the test: the triggers step aside for the cleanup only, and
    are put back before the next test (PostgreSQL's TRUNCATE does not fire them)."""
    yield
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
    try:
        call_command("flush", interactive=False, verbosity=0)
    finally:
        with connection.cursor() as cursor:
            for _name, sql in triggers:
                cursor.execute(sql)
