"""A document's page and the actions its state allows; tenant isolation of every document URL."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse

from facturier.invoicing.models import Document, Kind, State


def test_document_page_shows_lines_totals_and_the_actions_of_its_state(signed_in, issued):
    response = signed_in.get(reverse("web:document", args=[issued.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert issued.number in content and "Développement" in content
    actions = response.context["actions"]
    assert actions["payment"] and actions["credit_note"] and actions["facturx"]
    assert not actions["edit"] and not actions["issue"]


def test_draft_page_offers_edit_issue_and_delete(signed_in, draft):
    actions = signed_in.get(reverse("web:document", args=[draft.pk])).context["actions"]
    assert actions["edit"] and actions["issue"] and actions["delete"] and not actions["payment"]


def test_previous_and_next_follow_the_dashboard_order(signed_in, owner, org, issued):
    from facturier.invoicing.services import document_issue, draft_create

    second = draft_create(by=owner, customer_id=org.customer.pk, lines=[{"name": "A", "quantity": 1,
                                                                         "unit_price": 5}])
    document_issue(by=owner, document_id=second.pk, issue_date=dt.date(2026, 3, 5))
    page = signed_in.get(reverse("web:document", args=[second.pk]), {"sort": "-date"})
    assert page.context["next_id"] == issued.pk and page.context["prev_id"] is None
    page = signed_in.get(reverse("web:document", args=[issued.pk]), {"sort": "-date"})
    assert page.context["prev_id"] == second.pk


def test_issue_asks_for_confirmation_showing_the_number_then_issues(signed_in, draft):
    confirm = signed_in.get(reverse("web:document_issue", args=[draft.pk]))
    assert confirm.status_code == 200
    number = confirm.context["next_number"]
    assert number.startswith("FA-") and number in confirm.content.decode()
    assert not confirm.context["blocking"]
    assert Document.objects.get(pk=draft.pk).state == State.DRAFT
    done = signed_in.post(reverse("web:document_issue", args=[draft.pk]))
    assert done.status_code == 302
    assert Document.objects.get(pk=draft.pk).number == number


def test_a_viewer_cannot_issue(client_of, org, draft):
    viewer = client_of(org.member("viewer"))
    assert viewer.post(reverse("web:document_issue", args=[draft.pk])).status_code == 403
    assert Document.objects.get(pk=draft.pk).state == State.DRAFT


def test_pdf_and_facturx_downloads(signed_in, issued, referee, tmp_path):
    pdf = signed_in.get(reverse("web:document_pdf", args=[issued.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    fx = signed_in.get(reverse("web:document_facturx", args=[issued.pk]))
    assert fx.status_code == 200 and fx["Content-Type"] == "application/pdf"
    path = tmp_path / "fx.pdf"
    path.write_bytes(fx.content)
    verdict = referee([path])[str(path)]
    assert verdict["passed"], verdict


def test_draft_has_no_facturx_and_says_why(signed_in, draft):
    response = signed_in.get(reverse("web:document_facturx", args=[draft.pk]), follow=True)
    assert "A draft has no Factur-X" in response.content.decode()


def test_record_a_payment_then_cancel_it(signed_in, issued):
    url = reverse("web:document_payments", args=[issued.pk])
    assert signed_in.post(url, {"date": "2026-03-10", "amount": "100.00", "method": "transfer"}).status_code == 302
    issued.refresh_from_db()
    assert issued.state == State.PARTIALLY_PAID
    payment = issued.payments.get()
    response = signed_in.post(reverse("web:payment_cancel", args=[issued.pk, payment.pk]), {"reason": "Doublon"})
    assert response.status_code == 302
    issued.refresh_from_db()
    assert issued.state == State.ISSUED
    assert "Doublon" in signed_in.get(url).content.decode()


def test_payment_errors_are_shown_inline_and_keep_the_input(signed_in, issued):
    url = reverse("web:document_payments", args=[issued.pk])
    response = signed_in.post(url, {"date": "2026-01-01", "amount": "12,5", "method": "transfer",
                                    "reference": "VIR 42"})
    assert response.status_code == 422
    content = response.content.decode()
    assert "before the issue date" in content and 'value="VIR 42"' in content
    response = signed_in.post(url, {"date": "", "amount": "abc", "method": "transfer"})
    assert response.status_code == 422 and 'value="abc"' in response.content.decode()


def test_write_off_needs_a_reason(signed_in, issued):
    url = reverse("web:document_write_off", args=[issued.pk])
    assert signed_in.post(url, {"date": "2026-06-01", "reason": ""}).status_code == 422
    assert signed_in.post(url, {"date": "2026-06-01", "reason": "Liquidation"}).status_code == 302
    issued.refresh_from_db()
    assert issued.state == State.BAD_DEBT


def test_credit_note_opens_its_draft_in_the_editor(signed_in, issued):
    response = signed_in.post(reverse("web:document_credit_note", args=[issued.pk]))
    credit = Document.objects.get(kind=Kind.CREDIT_NOTE)
    assert response["Location"] == reverse("web:document_edit", args=[credit.pk])


def test_history_lists_audit_events_and_links(signed_in, issued):
    signed_in.post(reverse("web:document_credit_note", args=[issued.pk]))
    response = signed_in.get(reverse("web:document_history", args=[issued.pk]))
    content = response.content.decode()
    assert "Credit note" in content
    # Actions and details in words; the recorded code stays at hand.
    assert '<td title="document.issue">Document issued</td>' in content
    assert "state : Issued" in content and "amount payable : " in content
    assert "<code>document.issue</code>" not in content


def test_delete_a_draft(signed_in, draft):
    assert signed_in.post(reverse("web:document_delete", args=[draft.pk])).status_code == 302
    assert not Document.objects.filter(pk=draft.pk).exists()


def test_batch_issue_issues_the_ticked_drafts(signed_in, owner, org, draft):
    from facturier.invoicing.services import draft_create

    other = draft_create(by=owner, customer_id=org.customer.pk, lines=[{"name": "B", "quantity": 1,
                                                                        "unit_price": 3}])
    response = signed_in.post(reverse("web:batch"), {"action": "issue", "ids": [draft.pk, other.pk]}, follow=True)
    assert "2 documents issued" in response.content.decode()
    assert set(Document.objects.filter(pk__in=[draft.pk, other.pk]).values_list("state", flat=True)) == {"issued"}


def test_batch_facturx_zip_with_live_progress(signed_in, issued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(reverse("web:batch"), {"action": "facturx", "ids": [issued.pk]})
    assert response.status_code == 302
    job_url = response["Location"]
    page = signed_in.get(job_url)
    assert page.status_code == 200
    fragment = signed_in.get(job_url, HTTP_HX_REQUEST="true").content.decode()
    assert "<progress" in fragment and "<html" not in fragment
    job = page.context["job"]
    assert job.state == "done" and job.progress == 100  # immediate task backend in tests
    archive = signed_in.get(reverse("web:job_zip", args=[job.pk]))
    data = b"".join(archive.streaming_content)
    path = Path(job.zip_path)
    assert zipfile.ZipFile(path).namelist() == [f"{issued.number}.pdf"] and data[:2] == b"PK"


def test_batch_without_selection_says_so(signed_in, issued):
    response = signed_in.post(reverse("web:batch"), {"action": "issue"}, follow=True)
    assert "Tick at least one document first" in response.content.decode()


def test_send_button_is_present(signed_in, issued):
    content = signed_in.get(reverse("web:dashboard")).content.decode()
    assert 'value="send"' in content and "customer’s channel" in content


@pytest.fixture
def pair(owner, org, issued):
    """An issued invoice and a separate draft of the same organisation."""
    from facturier.invoicing.services import draft_create

    return issued, draft_create(by=owner, customer_id=org.customer.pk,
                                lines=[{"name": "D", "quantity": 1, "unit_price": 2}])


DOCUMENT_URLS = ["web:document", "web:document_edit", "web:document_issue", "web:document_pdf",
                 "web:document_facturx", "web:document_payments", "web:document_write_off", "web:document_history"]


@pytest.mark.parametrize("name", DOCUMENT_URLS)
def test_another_organisations_document_is_not_found(client_of, name, other_org, pair):
    stranger = client_of(other_org.owner)
    for document in pair:
        assert stranger.get(reverse(name, args=[document.pk])).status_code == 404


@pytest.mark.parametrize("name", ["web:document_issue", "web:document_delete", "web:document_credit_note",
                                  "web:document_payments", "web:document_write_off"])
def test_another_organisations_document_cannot_be_changed(client_of, name, other_org, pair):
    before = list(Document.objects.order_by("pk").values_list("pk", "state", "paid_amount"))
    stranger = client_of(other_org.owner)
    for document in pair:
        data = {"date": "2026-04-01", "amount": "1", "method": "transfer", "reason": "x"}
        assert stranger.post(reverse(name, args=[document.pk]), data).status_code == 404
    assert list(Document.objects.order_by("pk").values_list("pk", "state", "paid_amount")) == before


def test_another_organisations_job_is_not_found(client_of, signed_in, other_org, issued):
    job_url = signed_in.post(reverse("web:batch"), {"action": "facturx", "ids": [issued.pk]})["Location"]
    stranger = client_of(other_org.owner)
    assert stranger.get(job_url).status_code == 404
    assert stranger.get(job_url + "zip/").status_code == 404


def test_batch_ignores_another_organisations_ids(client_of, other_org, draft):
    stranger = client_of(other_org.owner)
    stranger.post(reverse("web:batch"), {"action": "issue", "ids": [draft.pk]})
    assert Document.objects.get(pk=draft.pk).state == State.DRAFT


def test_send_hands_the_documents_to_the_delivery_app_and_reports_each(signed_in, issued):
    from django.apps import apps

    if not apps.is_installed("facturier.delivery"):
        pytest.skip("the delivery app is not installed")
    response = signed_in.post(reverse("web:batch"), {"action": "send", "ids": [issued.pk]}, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert shown, "sending says what happened to the document"
    single = signed_in.post(reverse("web:document_send", args=[issued.pk]), follow=True)
    assert single.status_code == 200


def test_history_shows_the_extension_panels_of_installed_apps(signed_in, issued):
    from django.apps import apps

    panels = signed_in.get(reverse("web:document_history", args=[issued.pk])).context["panels"]
    titles = [p["title"] for p in panels]
    assert ("Deliveries" in titles) == apps.is_installed("facturier.delivery")
    assert ("Archive" in titles) == apps.is_installed("facturier.archive")


# --- credit note for some lines; "issue it first" when printing or sending a draft --------------------------------


def test_a_credit_note_for_some_lines_credits_only_those(signed_in, issued):
    page = signed_in.get(reverse("web:document_credit_note", args=[issued.pk]))
    assert page.status_code == 200
    lines = list(issued.lines.order_by("position"))
    assert all(f'value="{line.pk}"' in page.content.decode() for line in lines)
    response = signed_in.post(reverse("web:document_credit_note", args=[issued.pk]),
                              {"choose": "1", "line": [lines[0].pk, lines[2].pk]})
    credit = Document.objects.get(kind=Kind.CREDIT_NOTE)
    assert response["Location"] == reverse("web:document_edit", args=[credit.pk])
    assert [line.name for line in credit.lines.order_by("position")] == [lines[0].name, lines[2].name]
    assert credit.tax_exclusive == lines[0].net_amount + lines[2].net_amount


def test_a_credit_note_with_no_line_ticked_is_refused_on_the_page(signed_in, issued):
    response = signed_in.post(reverse("web:document_credit_note", args=[issued.pk]), {"choose": "1"})
    assert response.status_code == 422
    assert "Choose at least one line" in response.content.decode()
    assert not Document.objects.filter(kind=Kind.CREDIT_NOTE).exists()


def test_printing_a_draft_offers_to_issue_it_first_then_downloads_the_pdf(signed_in, draft):
    response = signed_in.get(reverse("web:document_pdf", args=[draft.pk]))
    confirm = reverse("web:document_issue", args=[draft.pk]) + "?then=pdf"
    assert response["Location"] == confirm
    page = signed_in.get(confirm).content.decode()
    assert "is printed once issued" in page and "?copy=1" in page  # the owner may print a draft copy instead
    response = signed_in.post(reverse("web:document_issue", args=[draft.pk]), {"then": "pdf"})
    draft.refresh_from_db()
    assert draft.state == State.ISSUED
    assert response["Location"] == reverse("web:document", args=[draft.pk]) + "?download=pdf"
    page = signed_in.get(response["Location"]).content.decode()
    assert f'<meta http-equiv="refresh" content="0;url={reverse("web:document_pdf", args=[draft.pk])}">' in page
    pdf = signed_in.get(reverse("web:document_pdf", args=[draft.pk]))
    assert pdf["Content-Type"] == "application/pdf" and draft.number in pdf["Content-Disposition"]


def test_a_draft_copy_is_printed_with_the_print_drafts_right(signed_in, draft):
    response = signed_in.get(reverse("web:document_pdf", args=[draft.pk]), {"copy": "1"})
    assert response["Content-Type"] == "application/pdf"
    draft.refresh_from_db()
    assert draft.is_draft


def test_a_clerk_who_cannot_issue_is_not_offered_to_issue(client_of, org, draft):
    clerk = client_of(org.member("clerk", can_print_drafts=False))
    response = clerk.get(reverse("web:document_pdf", args=[draft.pk]))
    assert response["Location"] == reverse("web:document", args=[draft.pk])
    assert clerk.get(reverse("web:document_issue", args=[draft.pk])).status_code == 403


@pytest.fixture
def mail(owner, smtp_server):
    from facturier.delivery.services import mail_settings_save

    return mail_settings_save(by=owner, host=smtp_server.host, port=smtp_server.port, security="none",
                              username=smtp_server.user, password=smtp_server.password,
                              sender_address="factures@acme.test")


def test_sending_a_draft_offers_to_issue_it_first_then_sends_it(signed_in, draft, mail):
    response = signed_in.post(reverse("web:document_send", args=[draft.pk]))
    confirm = reverse("web:document_issue", args=[draft.pk]) + "?then=send"
    assert response["Location"] == confirm
    assert "can be sent once issued" in signed_in.get(confirm).content.decode()
    response = signed_in.post(reverse("web:document_issue", args=[draft.pk]), {"then": "send"}, follow=True)
    draft.refresh_from_db()
    assert draft.state == State.ISSUED
    shown = [str(m) for m in response.context["messages"]]
    assert any(draft.number in m for m in shown)
    assert any("queued for sending" in m for m in shown), shown


@pytest.mark.parametrize("action", ["print", "send"])
def test_a_batch_with_drafts_offers_to_issue_them_first(client_of, org, owner, issued, mail, action):
    from facturier.invoicing.services import draft_create

    member = client_of(org.member("accountant", can_print_drafts=False))
    other = draft_create(by=owner, customer_id=org.customer.pk, lines=[{"name": "B", "quantity": 1,
                                                                        "unit_price": 7}])
    ids = [issued.pk, other.pk]
    offer = member.post(reverse("web:batch"), {"action": action, "ids": ids})
    assert offer.status_code == 200 and 'name="issue_drafts" value="1"' in offer.content.decode()
    assert Document.objects.get(pk=other.pk).is_draft
    done = member.post(reverse("web:batch"), {"action": action, "ids": ids, "issue_drafts": "1"})
    assert Document.objects.get(pk=other.pk).state == State.ISSUED
    if action == "print":
        assert done["Content-Type"] == "application/pdf"
    else:
        assert done.status_code == 302


def test_history_shows_amounts_and_dates_as_the_reader_writes_them(signed_in, owner, issued):
    from decimal import Decimal

    from facturier.invoicing.settlement import payment_record

    payment_record(by=owner, document_id=issued.pk, date=dt.date(2026, 4, 1), amount=Decimal("1234.5"),
                   method="transfer", reference="")
    owner.user.language = "fr"
    owner.user.save(update_fields=["language"])
    content = signed_in.get(reverse("web:document_history", args=[issued.pk])).content.decode()
    assert "date : 01/04/2026" in content and "2026-04-01" not in content
    assert "montant : 1\u202f234,50" in content or "montant : 1\xa0234,50" in content or "montant : 1 234,50" in content


def test_a_draft_is_titled_in_french(signed_in, owner, draft):
    owner.user.language = "fr"
    owner.user.save(update_fields=["language"])
    content = signed_in.get(reverse("web:document", args=[draft.pk])).content.decode()
    assert f"<h1>Facture (brouillon n° {draft.pk})</h1>" in content and "draft #" not in content
    dashboard = signed_in.get(reverse("web:dashboard")).content.decode()
    assert f"Brouillon n° {draft.pk}" in dashboard


def test_the_payment_form_shows_the_amount_due_as_the_reader_writes_it(signed_in, owner, issued):
    owner.user.language = "fr"
    owner.user.save(update_fields=["language"])
    page = signed_in.get(reverse("web:document_payments", args=[issued.pk])).content.decode()
    assert f'value="{str(issued.amount_due).replace(".", ",")}"' in page
    response = signed_in.post(reverse("web:document_payments", args=[issued.pk]),
                              {"date": "2026-04-01", "amount": "10,50", "method": "transfer"})
    assert response.status_code == 302
    issued.refresh_from_db()
    assert str(issued.paid_amount) == "10.50"
