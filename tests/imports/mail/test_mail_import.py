"""Import by e-mail with real mail servers: invoices sent to an organisation's import address (by SMTP to
the worker's listener, or into the operator's IMAP mailbox on Dovecot) are imported once, their sender gets
a report in the platform's mail; a message without a valid token or an authenticated allowed sender is
ignored and logged, and nobody is answered."""

from __future__ import annotations

import logging
import smtplib

import pytest
from import_helpers import CII_EXAMPLES, as_seller, facturx
from lxml import etree
from mail_helpers import AUTHSERV, DOMAIN, caught, deliver, free_port, message, smtp_send

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]


@pytest.fixture(autouse=True)
def english_organisation(org):
    """The reports are written in the organisation's language: English here, unless a test says French."""
    org.default_language = "en"
    org.save(update_fields=["default_language"])


def _cii(number: str) -> bytes:
    return as_seller(CII_EXAMPLES[1].read_bytes(), number=number)


def _address(org) -> str:
    from facturier.imports.mail import address_of
    from facturier.imports.mail_services import mail_import_settings

    return address_of(mail_import_settings(org).token)


def _imported(org) -> list[str]:
    from facturier.imports.models import ImportItem

    return sorted(ImportItem.objects.filter(organisation=org, outcome="imported").values_list("number", flat=True))


def _records(org=None):
    from facturier.imports.models import MailImportMessage

    qs = MailImportMessage.objects.all()
    return qs.filter(organisation=org) if org is not None else qs


def test_a_facturx_sent_by_smtp_to_the_import_address_is_imported_and_the_sender_gets_a_report(
        org, listener, catcher):
    from facturier.imports.mail_intake import spool, spool_drain
    from facturier.imports.models import ImportBatch

    msg = message(to=_address(org), files={"EXT-100.pdf": facturx(_cii("EXT-100")),
                                           "notes.txt.xml": b"<not-an-invoice/>"})
    smtp_send(listener, msg, envelope_from="erp@supplier.test", to=[_address(org)])
    # Accepted once stored: the spool holds it (a crash now loses nothing), not imported yet.
    assert len(list(spool().glob("*.eml"))) == 1 and _imported(org) == []
    assert spool_drain() == 1 and list(spool().glob("*")) == []

    assert _imported(org) == ["EXT-100"]
    batch = ImportBatch.objects.get(organisation=org)
    assert batch.source == "email" and batch.sender == "erp@supplier.test"
    record = _records(org).get()
    assert (record.outcome, record.route, record.batch_id) == ("imported", "token", batch.pk)
    reports = caught(org)
    assert len(reports) == 1
    report = reports[0]
    assert report["To"] == "erp@supplier.test" and report["Auto-Submitted"] == "auto-replied"
    assert report["In-Reply-To"] == msg["Message-ID"]
    assert "1 imported, 1 not imported" in report["Subject"]
    body = report.get_body().get_content()
    assert "EXT-100.pdf: Imported — EXT-100" in body
    assert "notes.txt.xml: Refused" in body and "[" in body  # the refusal names its rule ids


def test_the_report_is_written_in_the_organisations_language(org, listener, catcher):
    org.default_language = "fr"
    org.save(update_fields=["default_language"])
    deliver(listener, message(to=_address(org), files={"a.xml": _cii("EXT-FR")}),
              envelope_from="erp@supplier.test", to=[_address(org)])
    report = caught(org)[0]
    assert "1 importé" in report["Subject"], report["Subject"]
    body = report.get_body().get_content()
    assert "ont été lus" in body and "n’y répondez pas" in body and "EXT-FR" in body


def test_an_unknown_token_is_ignored_logged_and_not_answered(org, listener, catcher, caplog):
    stranger = f"import+{'0' * 32}@{DOMAIN}"
    with caplog.at_level(logging.WARNING, logger="facturier.imports.mail"):
        deliver(listener, message(to=stranger, files={"a.xml": _cii("EXT-200")}),
                  envelope_from="someone@elsewhere.test", to=[stranger])
    assert _imported(org) == []
    record = _records().get()
    assert record.organisation is None and record.outcome == "ignored" and not record.report_to
    assert caught(org) == []
    assert any("ignored" in r.getMessage() and "someone@elsewhere.test" in r.getMessage() for r in caplog.records)
    assert "0" * 32 not in caplog.text  # the token is a credential: redacted in the log


def test_a_regenerated_address_stops_the_old_one(org, owner, listener, catcher):
    from facturier.imports.mail_services import mail_import_address_regenerate

    old = _address(org)
    mail_import_address_regenerate(by=owner)
    assert _address(org) != old
    deliver(listener, message(to=old, files={"a.xml": _cii("EXT-300")}), envelope_from="erp@supplier.test",
              to=[old])
    deliver(listener, message(to=_address(org), files={"b.xml": _cii("EXT-301")}),
              envelope_from="erp@supplier.test", to=[_address(org)])
    assert _imported(org) == ["EXT-301"]
    assert sorted(_records().values_list("outcome", flat=True)) == ["ignored", "imported"]


def test_the_listener_relays_nothing_and_refuses_oversized_messages(org, settings, import_domain, catcher):
    from facturier.imports.mail_intake import SmtpListener, spool

    settings.FACTURIER_IMPORT_MAIL_MAX_BYTES = 50_000
    with SmtpListener("127.0.0.1", free_port(), drain=False) as listener:
        with smtplib.SMTP(listener.host, listener.port, timeout=30) as client:
            client.ehlo()
            client.mail("erp@supplier.test")
            code, _reply = client.rcpt("victim@elsewhere.test")
            assert code == 550  # never a relay
        big = message(to=_address(org), files={"a.pdf": b"%PDF-" + b"0" * 60_000})
        with pytest.raises(smtplib.SMTPException):
            smtp_send(listener, big, envelope_from="erp@supplier.test", to=[_address(org)])
    assert list(spool().glob("*")) == [] and _records().count() == 0 and _imported(org) == []


# --- the operator's IMAP mailbox (Dovecot) -------------------------------------------------------------------


def _delivered(msg, *, envelope_from: str, to: str, auth_results: str | None = None) -> bytes:
    """The message as the operator's mail server files it: Return-Path, Delivered-To, its own
    Authentication-Results on top."""
    top = f"Return-Path: <{envelope_from}>\r\nDelivered-To: {to}\r\n"
    if auth_results:
        top += f"Authentication-Results: {auth_results}\r\n"
    return top.encode() + msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def _seen(mailbox) -> list[bool]:
    import imaplib

    client = imaplib.IMAP4(mailbox.host, mailbox.port)
    client.login(mailbox.user, mailbox.password)
    client.select("INBOX", readonly=True)
    _typ, data = client.fetch("1:*", "(FLAGS)")
    client.logout()
    return [b"\\Seen" in line for line in data if line]


def test_a_message_in_the_import_mailbox_is_imported_once_however_often_it_is_read(org, import_mailbox, catcher):
    from facturier.imports.mail_intake import imap_fetch

    msg = message(to=_address(org), files={"EXT-400.pdf": facturx(_cii("EXT-400"))})
    raw = _delivered(msg, envelope_from="erp@supplier.test", to=_address(org))
    import_mailbox.append(raw)
    first = imap_fetch()
    assert (first.read, first.kept, first.errors) == (1, 1, [])
    assert _imported(org) == ["EXT-400"] and _seen(import_mailbox) == [True]
    # The same message again (delivered twice, or the flag lost): read, not imported again.
    import_mailbox.append(raw)
    again = imap_fetch()
    assert (again.read, again.kept) == (1, 0)
    assert imap_fetch().read == 0  # nothing unseen is left
    assert _imported(org) == ["EXT-400"] and _records(org).count() == 1
    reports = caught(org)
    assert [r["To"] for r in reports] == ["erp@supplier.test"]  # the Return-Path, once


def test_an_authenticated_allowed_sender_is_imported_without_the_token(org, owner, import_mailbox, catcher):
    from facturier.imports.mail_intake import imap_fetch
    from facturier.imports.mail_services import mail_import_sender_add

    mail_import_sender_add(by=owner, email="Billing@Supplier.test")
    generic = f"invoices@{DOMAIN}"
    vouched = f"{AUTHSERV}; dkim=pass header.d=supplier.test; spf=pass smtp.mailfrom=bounce@supplier.test; " \
              f"dmarc=pass header.from=supplier.test"
    msg = message(to=generic, sender="Billing <billing@supplier.test>", files={"a.xml": _cii("EXT-500")},
                  headers={"Reply-To": "elsewhere@attacker.test"})
    import_mailbox.append(_delivered(msg, envelope_from="bounce@supplier.test", to=generic, auth_results=vouched))
    assert imap_fetch().kept == 1
    assert _imported(org) == ["EXT-500"]
    assert _records(org).get().route == "sender"
    # The report goes to the authenticated sender, never to the Reply-To nor the envelope.
    assert [r["To"] for r in caught(org)] == ["billing@supplier.test"]


@pytest.mark.parametrize("auth_results", [
    None,  # nothing vouched for the From header
    f"{AUTHSERV}; dmarc=fail header.from=supplier.test",
    "mx.attacker.test; dmarc=pass header.from=supplier.test",  # another server's word
], ids=["no-proof", "dmarc-fail", "foreign-authserv"])
def test_a_forged_allowed_sender_is_ignored_and_not_answered(org, owner, import_mailbox, catcher, auth_results):
    from facturier.imports.mail_intake import imap_fetch
    from facturier.imports.mail_services import mail_import_sender_add

    mail_import_sender_add(by=owner, email="billing@supplier.test")
    msg = message(to=f"invoices@{DOMAIN}", sender="billing@supplier.test", files={"a.xml": _cii("EXT-600")})
    import_mailbox.append(_delivered(msg, envelope_from="billing@supplier.test", to=f"invoices@{DOMAIN}",
                                     auth_results=auth_results))
    assert imap_fetch().read == 1
    assert _imported(org) == [] and _records().get().outcome == "ignored" and caught(org) == []


def test_a_forged_authentication_header_below_the_servers_own_is_not_believed(org, owner, import_mailbox, catcher):
    from facturier.imports.mail_intake import imap_fetch
    from facturier.imports.mail_services import mail_import_sender_add

    mail_import_sender_add(by=owner, email="billing@supplier.test")
    msg = message(to=f"invoices@{DOMAIN}", sender="billing@supplier.test", files={"a.xml": _cii("EXT-650")},
                  headers={"Authentication-Results": f"{AUTHSERV}; dmarc=pass header.from=supplier.test"})
    import_mailbox.append(_delivered(msg, envelope_from="x@attacker.test", to=f"invoices@{DOMAIN}",
                                     auth_results=f"{AUTHSERV}; spf=fail smtp.mailfrom=x@attacker.test"))
    imap_fetch()
    assert _imported(org) == [] and _records().get().outcome == "ignored"


def test_an_oversized_message_is_not_downloaded_and_its_sender_is_told(org, settings, import_mailbox, catcher):
    from facturier.imports.mail_intake import imap_fetch

    settings.FACTURIER_IMPORT_MAIL_MAX_BYTES = 20_000
    msg = message(to=_address(org), files={"EXT-700.pdf": facturx(_cii("EXT-700"))})
    import_mailbox.append(_delivered(msg, envelope_from="erp@supplier.test", to=_address(org)))
    assert imap_fetch().kept == 1
    assert _imported(org) == [] and _records(org).get().outcome == "too_large"
    report = caught(org)[0]
    assert "nothing imported" in report["Subject"] and "too large" in report.get_body().get_content()


def test_a_message_without_invoice_files_is_answered_so(org, listener, catcher):
    deliver(listener, message(to=_address(org)), envelope_from="erp@supplier.test", to=[_address(org)])
    assert _records(org).get().outcome == "no_files"
    assert "no invoice attached" in caught(org)[0].get_body().get_content()


def test_automatic_messages_and_null_senders_get_no_report(org, listener, catcher):
    deliver(listener, message(to=_address(org), files={"a.xml": _cii("EXT-800")},
                                headers={"Auto-Submitted": "auto-generated"}),
              envelope_from="erp@supplier.test", to=[_address(org)])
    deliver(listener, message(to=_address(org), files={"b.xml": _cii("EXT-801")}), envelope_from="",
              to=[_address(org)])
    assert _imported(org) == ["EXT-800", "EXT-801"]
    assert caught(org) == []


# --- automatic delivery of imported documents (S2.8) ---------------------------------------------------------


def _to_customer(xml: bytes, *, siren: str, vat: str) -> bytes:
    """The invoice addressed to one of the organisation's customers (its SIREN and VAT id)."""
    ns = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
    root = etree.fromstring(xml)
    buyer = root.find(".//ram:BuyerTradeParty", ns)
    legal = buyer.find("ram:SpecifiedLegalOrganization/ram:ID", ns)
    legal.text = siren
    legal.set("schemeID", "0002")
    buyer.find("ram:SpecifiedTaxRegistration/ram:ID", ns).text = vat
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_with_automatic_delivery_the_imported_invoice_is_emailed_to_its_customer(
        org, owner, mail, smtp_server, listener, catcher, django_capture_on_commit_callbacks):
    from facturier.delivery.models import Delivery
    from facturier.imports.mail_services import auto_deliver_set

    auto_deliver_set(by=owner, enabled=True)
    pdf = facturx(_to_customer(_cii("EXT-900"), siren="412345670", vat="FR96412345670"))
    with django_capture_on_commit_callbacks(execute=True):
        deliver(listener, message(to=_address(org), files={"EXT-900.pdf": pdf}), envelope_from="erp@supplier.test",
                  to=[_address(org)])
    assert _imported(org) == ["EXT-900"]
    sent = [m for m in smtp_server.messages if "compta@client.test" in m.rcpt_tos]
    assert len(sent) == 1, [m.rcpt_tos for m in smtp_server.messages]
    attachments = [p.get_filename() for p in sent[0].message.iter_attachments()]
    assert any(name and name.endswith(".pdf") for name in attachments), attachments
    delivery = Delivery.objects.get(document__number="EXT-900", organisation=org)
    assert delivery.state == "sent"


def test_a_refused_automatic_delivery_shows_in_the_delivery_state_and_keeps_the_import(
        org, owner, mail, smtp_server, listener, catcher, django_capture_on_commit_callbacks):
    from facturier.delivery.models import Delivery, Notification
    from facturier.imports.mail_services import auto_deliver_set

    auto_deliver_set(by=owner, enabled=True)
    # The buyer matches no customer: one is created, without an e-mail address to send to.
    with django_capture_on_commit_callbacks(execute=True):
        deliver(listener, message(to=_address(org), files={"a.xml": _cii("EXT-901")}),
                  envelope_from="erp@supplier.test", to=[_address(org)])
    assert _imported(org) == ["EXT-901"]
    delivery = Delivery.objects.get(document__number="EXT-901", organisation=org)
    assert delivery.state == "failed"
    assert "Not sent automatically" in delivery.events.order_by("-id").first().detail
    assert Notification.objects.filter(organisation=org, kind="import.auto_deliver").count() == 1
    assert not any("compta@client.test" in m.rcpt_tos for m in smtp_server.messages)


def test_without_automatic_delivery_nothing_is_sent(
        org, owner, mail, smtp_server, listener, catcher, django_capture_on_commit_callbacks):
    from facturier.delivery.models import Delivery

    pdf = facturx(_to_customer(_cii("EXT-902"), siren="412345670", vat="FR96412345670"))
    with django_capture_on_commit_callbacks(execute=True):
        deliver(listener, message(to=_address(org), files={"a.pdf": pdf}), envelope_from="erp@supplier.test",
                  to=[_address(org)])
    assert _imported(org) == ["EXT-902"]
    assert not Delivery.objects.filter(organisation=org).exists() and smtp_server.messages == []


def test_automatic_delivery_stops_when_its_member_may_no_longer_send_and_acts_once(org, owner, issued):
    from facturier.delivery.models import Delivery, DeliveryEvent
    from facturier.imports.autodeliver import auto_deliver
    from facturier.imports.mail_services import auto_deliver_set

    auto_deliver_set(by=owner, enabled=True)
    owner.can_send = False
    owner.save(update_fields=["can_send"])
    assert auto_deliver(document_id=issued.pk) == "no_sender"
    delivery = Delivery.objects.get(document=issued)
    assert delivery.state == "failed"
    assert auto_deliver(document_id=issued.pk) == "skipped"  # a document with a delivery is left alone
    assert DeliveryEvent.objects.filter(delivery=delivery).count() == 1


def test_an_erp_reusing_one_message_id_has_each_different_message_imported(org, listener, catcher):
    first = message(to=_address(org), files={"a.xml": _cii("EXT-950")})
    second = message(to=_address(org), files={"b.xml": _cii("EXT-951")})
    second.replace_header("Message-ID", first["Message-ID"])
    for msg in (first, second, first):
        deliver(listener, msg, envelope_from="erp@supplier.test", to=[_address(org)])
    assert _imported(org) == ["EXT-950", "EXT-951"] and _records(org).count() == 2
