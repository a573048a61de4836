"""Dates in the customer space and around it, in the reader's language: "2 Mar 2026" in English,
02/03/2026 in French, never the American 03/02/2026."""

from __future__ import annotations

import re

from django.test import Client
from django.utils import timezone

MONTH_FIRST = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b")


def test_the_customer_space_dates_documents_the_way_its_reader_reads(portal, org, archived, account):
    page = portal.get(f"/portal/{org.slug}/").content.decode()  # the contact reads English
    assert "2 Mar 2026" in page and not MONTH_FIRST.search(page)
    account.language = "fr"
    account.save(update_fields=["language"])
    page = portal.get(f"/portal/{org.slug}/").content.decode()
    assert "02/03/2026" in page and "2 Mar 2026" not in page


def test_the_invitation_mail_and_the_companys_page_give_the_link_expiry_in_their_language(
        owner, org, contact, invitation, mailoutbox):
    expires = timezone.localtime(invitation.expires_at)
    [mail] = mailoutbox  # the contact reads English
    assert f"{expires.day} {expires:%b} {expires.year}, {expires:%H:%M}" in mail.body
    assert f"{expires:%d/%m/%Y}" not in mail.body
    owner.user.language = "en"
    owner.user.save(update_fields=["language"])
    client = Client()
    client.force_login(owner.user)
    rows = client.get(f"/portal-admin/customers/{org.customer.pk}/").context["rows"]
    assert rows[0]["status"] == f"Invited, until {expires.day} {expires:%b} {expires.year}"
