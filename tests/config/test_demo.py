"""`facturier demo`: one demo organisation with documents of every kind and in every state, run twice."""

import pytest
from django.core.management import call_command

from facturier.accounts.models import Organisation
from facturier.invoicing.models import Kind, State

pytestmark = pytest.mark.django_db


def test_demo_twice_leaves_one_organisation_with_every_kind_and_state(capsys):
    call_command("demo")
    call_command("demo")
    organisation = Organisation.objects.get(slug="demo")
    assert Organisation.objects.filter(slug="demo").count() == 1
    assert organisation.customers.count() >= 10
    documents = organisation.documents.all()
    assert documents.count() >= 40
    assert set(documents.values_list("kind", flat=True)) == set(Kind.values)
    assert set(documents.values_list("state", flat=True)) == set(State.values)
    assert "0 created now" in capsys.readouterr().out


def test_the_demo_login_works(client):
    call_command("demo")
    assert client.login(email="demo@facturier.test", password="demo")
    page = client.get("/admin/invoicing/document/")
    assert page.status_code == 200
    assert "FA-" in page.content.decode()


def test_the_demo_has_a_terminated_company_whose_export_verifies_offline(tmp_path):
    import subprocess
    import sys

    from facturier.accounts.models import Termination, TerminationState
    from facturier.accounts.termination import export_path
    from facturier.archive.full_export import file_sha256

    call_command("demo")
    call_command("demo")
    termination = Termination.objects.get(organisation__slug="demo-partie")
    assert termination.state == TerminationState.READ_ONLY and termination.export_files == 6
    from facturier.billing.models import Subscription

    # the demo operator's third company: its subscription ended with the termination (here, where the
    # test's transaction never commits, by the period-end job's catch-up rather than the signal)
    from facturier.billing.operator_billing import periods_close

    periods_close()
    assert Subscription.objects.get(organisation__slug="demo-partie").state == "terminated"
    path = export_path(termination)
    assert file_sha256(path) == termination.export_sha256
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    run = subprocess.run([str(venv / "bin" / "python"), "-I", "-c",
                          "import sys, zipfile; exec(zipfile.ZipFile(sys.argv[1]).read('verify.py'))", str(path)],
                         capture_output=True, text=True, check=False, timeout=300, env={"PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "6 fichier(s) archivé(s)" in run.stdout
