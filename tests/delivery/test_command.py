"""`facturier delivery …` and the administration pages of the delivery app."""

import io

import pytest
from django.core.management import CommandError, call_command

from facturier.delivery.services import mail_settings_save, send_documents

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("delivery", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_the_command_tests_the_server_and_sends_what_is_due(org, owner, mail, smtp_server, issued):
    assert run("test", "--org", "acme").strip() == "OK"
    send_documents(by=owner, document_ids=[issued.pk])
    assert "sent 1, rescheduled 0, failed 0" in run("flush", "--org", "acme")
    assert len(smtp_server.messages) == 1


def test_the_command_says_what_failed(org, owner, mail):
    mail_settings_save(by=owner, password="wrong")
    with pytest.raises(CommandError, match="refused the user name or password"):
        run("test", "--org", "acme")
    with pytest.raises(CommandError, match="No organisation with the slug 'nope'"):
        run("flush", "--org", "nope")


def test_the_postal_command_writes_nothing_when_nothing_is_due(org, tmp_path):
    assert "no postal batch for 2026-05-01" in run("postal", "--org", "acme", "--date", "2026-05-01",
                                                   "--out", str(tmp_path / "x.pdf"))


@pytest.mark.parametrize("model", ["mailsettings", "mailtemplate", "delivery", "outboxmessage", "notification",
                                   "consentanswer"])
def test_the_admin_lists_the_delivery_records(admin_client, org, owner, mail, smtp_server, issued, model):
    send_documents(by=owner, document_ids=[issued.pk])
    from facturier.delivery.outbox import outbox_flush

    outbox_flush(organisation_id=org.pk)
    assert admin_client.get(f"/admin/delivery/{model}/").status_code == 200


def test_the_showcase_runs_the_whole_flow_on_the_demo_organisation(tmp_path, settings):
    from facturier.delivery.models import Delivery

    call_command("demo")
    output = run("showcase", "--org", "demo", "--invoices", "6", "--out", str(tmp_path))
    assert "Batch: 6 invoices queued, 6 sent, 0 refused" in output
    assert "queued, sent, bounced, corrected, queued, sent" in output
    assert "queued, sent, bounced, postal, by_post" in output
    assert len(list((tmp_path / "messages").glob("*.eml"))) >= 7
    assert list(tmp_path.glob("postal-*.pdf"))
    assert Delivery.objects.filter(state="by_post").count() == 1
