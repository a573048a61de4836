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
