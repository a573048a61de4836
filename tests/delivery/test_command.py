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
    """The issue's "must show": from the demo organisation, a consent campaign, a batch of 50 invoices,
    one bounce corrected and resent, one gone by post, each visible in the document's history."""
    from facturier.accounts.models import Organisation
    from facturier.delivery.models import Delivery, OutboxMessage
    from facturier.delivery.selectors import delivery_history

    settings.DATA_DIR = tmp_path / "data"
    settings.FACTURIER_MAIL_ALLOW_PRIVATE_HOSTS = False  # the catcher passes the guard by itself
    call_command("demo")
    demo = Organisation.objects.get(slug="demo")
    already = set(Delivery.objects.filter(organisation=demo).values_list("document_id", flat=True))
    output = run("showcase", "--org", "demo", "--invoices", "50", "--out", str(tmp_path / "out"))

    assert "Consent campaign:" in output and "e-mailed" in output
    assert "Batch: 50 invoices queued, 50 sent, 0 refused" in output
    assert "queued, sent, bounced, corrected, queued, sent" in output
    assert "queued, sent, bounced, postal, by_post" in output
    assert list((tmp_path / "out").glob("postal-*.pdf"))
    batch = [d for d in Delivery.objects.filter(organisation=demo).order_by("document_id")
             .values_list("document_id", flat=True) if d not in already]
    assert len(batch) == 50
    histories = {d: [e.state for e in delivery_history(organisation=demo, document_id=d)] for d in batch}
    corrected, by_post, *others = batch
    assert histories[corrected] == ["queued", "sent", "bounced", "corrected", "queued", "sent"]
    assert histories[by_post] == ["queued", "sent", "bounced", "postal", "by_post"]
    assert all(histories[d] == ["queued", "sent"] for d in others)
    # The consent letters went out too (and are marked on each customer), and every message is in the mailbox.
    consent = OutboxMessage.objects.filter(organisation=demo, kind="consent")
    assert consent.exists() and set(consent.values_list("state", flat=True)) == {"sent"}
    assert all(c.consent_letter_sent_on for c in (m.customer for m in consent))
    caught = list((settings.DATA_DIR / "mail-catcher" / f"org-{demo.pk}").glob("*.eml"))
    assert len(caught) == consent.count() + 50 + 1  # letters, the batch, the resend to the corrected address
    assert len(list((tmp_path / "out" / "messages").glob("*.eml"))) == len(caught)
