"""Settings: organisation, legal data by date, series, logo, certificate, users and rights, 2FA policy."""

from __future__ import annotations

import io
import re

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from facturier.accounts.models import LegalProfile
from facturier.invoicing.models import Series

ORG = {"name": "Acme Renamed", "default_language": "fr", "payment_terms_days": "45", "due_date_rule": "net",
       "late_penalty_rate": "12,15", "facturx_profile": "en16931", "sealing_level": "B-T", "tsa_url": "",
       "time_zone": "Europe/Paris"}


def _png(size=(4, 4)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format="PNG")
    return buffer.getvalue()


def test_settings_page_for_owners_only(signed_in, client_of, org):
    assert signed_in.get(reverse("web:settings")).status_code == 200
    assert client_of(org.member("accountant")).get(reverse("web:settings")).status_code == 403


def test_organisation_settings_and_logo(signed_in, org):
    logo = SimpleUploadedFile("logo.png", _png(), content_type="image/png")
    response = signed_in.post(reverse("web:settings_organisation"), {**ORG, "logo": logo})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "Acme Renamed" and org.payment_terms_days == 45 and org.logo
    assert signed_in.get(reverse("web:settings_logo")).status_code == 200


def test_a_logo_that_is_not_an_image_is_refused(signed_in, org):
    fake = SimpleUploadedFile("logo.png", b"not an image", content_type="image/png")
    response = signed_in.post(reverse("web:settings_organisation"), {**ORG, "logo": fake})
    assert response.status_code == 422
    assert 'value="Acme Renamed"' in response.content.decode()


def test_a_too_large_logo_is_refused(signed_in, org):
    big = SimpleUploadedFile("logo.png", _png() + b"\0" * 600_000, content_type="image/png")
    response = signed_in.post(reverse("web:settings_organisation"), {**ORG, "logo": big})
    assert response.status_code == 422 and "512 KB at most" in response.content.decode()


def test_legal_data_with_an_effective_date(signed_in, org, issued):
    data = {"effective_from": "2026-12-01", "legal_name": "Acme SAS", "legal_form": "SAS", "share_capital": "",
            "siren": "884123456", "siret": "88412345600011", "vat_number": "FR52884123456", "registration": "",
            "address_line1": "5 rue Nouvelle", "address_line2": "", "postcode": "69002", "city": "Lyon",
            "country": "FR", "email": "", "phone": "", "iban": "", "bic": ""}
    assert signed_in.post(reverse("web:settings_legal"), data).status_code == 302
    assert LegalProfile.objects.filter(organisation=org).count() == 2
    before_issue = signed_in.post(reverse("web:settings_legal"), {**data, "effective_from": "2026-01-01"})
    assert before_issue.status_code == 422 and "already issued" in before_issue.content.decode()
    bad = signed_in.post(reverse("web:settings_legal"), {**data, "effective_from": "2027-01-01", "siren": "123"})
    assert bad.status_code == 422 and 'value="5 rue Nouvelle"' in bad.content.decode()


def test_numbering_series(signed_in, org):
    response = signed_in.post(reverse("web:settings_series"), {"code": "EX", "name": "Export", "prefix": "EX-{year}-",
                                                               "padding": "5"})
    assert response.status_code == 302 and Series.objects.filter(organisation=org, code="EX").exists()
    again = signed_in.post(reverse("web:settings_series"), {"code": "EX", "name": "Twice", "prefix": "",
                                                            "padding": "5"})
    assert again.status_code == 422
    lower = signed_in.post(reverse("web:settings_series"), {"code": "ex!", "name": "x", "padding": "5"})
    assert lower.status_code == 422 and "Capital letters and digits only" in lower.content.decode()


def test_certificate_upload_shows_holder_and_warns_before_expiry(signed_in, org):
    from facturier.engine.pdf.certificates import make_self_signed

    p12 = make_self_signed("Acme Seal", "Acme", days=20, password="pw")
    wrong = signed_in.post(reverse("web:settings_certificate"), {
        "file": SimpleUploadedFile("seal.p12", p12), "password": "nope", "label": ""})
    assert wrong.status_code == 422
    ok = signed_in.post(reverse("web:settings_certificate"), {
        "file": SimpleUploadedFile("seal.p12", p12), "password": "pw", "label": "Seal"})
    assert ok.status_code == 302
    page = signed_in.get(reverse("web:settings")).content.decode()
    assert "Acme Seal" in page and "expires in" in page


def test_users_and_rights(signed_in, org, owner):
    from facturier.accounts.invitations import invitation_accept_new_user

    response = signed_in.post(reverse("web:settings_member_add"), {"email": "new@acme.test", "full_name": "Nouveau",
                                                                   "role": "clerk"})
    assert response.status_code == 302
    token = re.search(r"/invitation/([^/\s]+)/", mail.outbox[-1].body).group(1)
    member = invitation_accept_new_user(token=token, password="A much longer pass 42")
    assert member.can_edit and not member.can_issue
    prefix = f"m{member.pk}"
    signed_in.post(reverse("web:settings_member_update", args=[member.pk]), {
        f"{prefix}-role": "clerk", f"{prefix}-is_active": "on", f"{prefix}-can_issue": "on"})
    member.refresh_from_db()
    assert member.can_issue and not member.can_edit
    prefix = f"m{owner.pk}"
    response = signed_in.post(reverse("web:settings_member_update", args=[owner.pk]), {
        f"{prefix}-role": "viewer", f"{prefix}-is_active": "on"}, follow=True)
    owner.refresh_from_db()
    assert owner.role == "owner" and "at least one active owner" in response.content.decode()


def test_another_organisations_member_cannot_be_changed(signed_in, other_org):
    other_owner = other_org.owner
    prefix = f"m{other_owner.pk}"
    response = signed_in.post(reverse("web:settings_member_update", args=[other_owner.pk]),
                              {f"{prefix}-role": "viewer"})
    assert response.status_code == 404
    other_owner.refresh_from_db()
    assert other_owner.role == "owner"


def test_settings_forms_refuse_members_without_the_right(client_of, org):
    clerk = client_of(org.member("clerk"))
    for name in ("web:settings_organisation", "web:settings_legal", "web:settings_series",
                 "web:settings_certificate", "web:settings_member_add", "web:settings_security"):
        assert clerk.post(reverse(name), {}).status_code == 403


def test_every_moment_is_shown_in_the_organisations_time_zone(signed_in, owner, org, issued):
    import zoneinfo

    from facturier.audit.selectors import events_of

    response = signed_in.post(reverse("web:settings_organisation"), {**ORG, "time_zone": "Indian/Reunion"})
    assert response.status_code == 302
    issue = next(e for e in events_of(organisation=org, subject=issued) if e.action == "document.issue")
    owner.user.language = "fr"  # 24-hour times
    owner.user.save(update_fields=["language"])
    page = signed_in.get(reverse("web:document_history", args=[issued.pk])).content.decode()
    reunion = issue.at.astimezone(zoneinfo.ZoneInfo("Indian/Reunion"))
    paris = issue.at.astimezone(zoneinfo.ZoneInfo("Europe/Paris"))
    assert reunion.hour != paris.hour
    assert f"{reunion:%d/%m/%Y %H:%M}" in page
    assert f"{paris:%d/%m/%Y %H:%M}" not in page
    settings_page = signed_in.get(reverse("web:settings")).content.decode()
    assert '<option value="Indian/Reunion" selected>' in settings_page
    # Another organisation keeps the platform's zone: nothing leaks from one request to the next.
    from facturier.web.selectors import time_zone_of

    assert time_zone_of(org.pk) == "Indian/Reunion" and time_zone_of(org.pk + 1000) == "Europe/Paris"
