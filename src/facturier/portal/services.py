"""Writes of the customer portal: invitations and one-time links, passwords, the authenticator, consent."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.oath import TOTP

from facturier.accounts.models import Membership, Organisation, Right
from facturier.accounts.services import require_right
from facturier.audit.services import audit_record
from facturier.delivery.platform_mail import PlatformMailError, platform_mail_ready, platform_send
from facturier.errors import FacturierError, localized
from facturier.parties.models import ConsentOrigin, Contact
from facturier.portal.models import LinkPurpose, PortalAccount, PortalLink
from facturier.secrets import open_secret, seal_secret

LINK_MAX_AGE = {LinkPurpose.INVITATION: dt.timedelta(days=7), LinkPurpose.RESET: dt.timedelta(hours=3)}
TOTP_TOLERANCE = 1
"""Codes of the previous and next 30-second steps are accepted too (a phone's clock drifts)."""


class PortalError(FacturierError):
    code = "portal"


class ContactNotInvitable(PortalError):
    code = "contact_not_invitable"


class BadPortalLink(PortalError):
    code = "bad_portal_link"


class LinkNotSent(PlatformMailError, PortalError):
    code = "portal_link_not_sent"


@dataclass(frozen=True, slots=True)
class Invitation:
    account: PortalAccount
    link: str
    expires_at: dt.datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def language_of(account: PortalAccount) -> str:
    return account.language or account.customer.language or account.organisation.default_language


def link_url(organisation: Organisation, token: str) -> str:
    return settings.FACTURIER_BASE_URL + reverse("portal:welcome", args=[organisation.slug, token])


def _new_link(account: PortalAccount, *, purpose: LinkPurpose, by_user=None) -> tuple[str, PortalLink]:
    """A fresh one-time link; the account's earlier unused links stop working (only the latest e-mail counts)."""
    PortalLink.objects.filter(account=account, used_at__isnull=True).delete()
    token = secrets.token_urlsafe(32)
    link = PortalLink.objects.create(account=account, purpose=purpose, digest=_digest(token),
                                     expires_at=timezone.now() + LINK_MAX_AGE[purpose], created_by=by_user)
    return token, link


def _reply_to(organisation: Organisation) -> list[str]:
    from facturier.accounts.selectors import legal_profile_at
    from facturier.accounts.services import NoLegalProfile

    try:
        email = legal_profile_at(organisation=organisation, on=timezone.localdate()).email
    except NoLegalProfile:
        return []
    return [email] if email else []


def _mail_link(account: PortalAccount, *, purpose: LinkPurpose, url: str, expires_at: dt.datetime,
               connection=None) -> None:
    """The e-mail with the link, in the customer's language, from the platform's mail server (like password
    resets: the link is a credential and must not wait in an organisation's outbox). `LinkNotSent` when it
    could not go: the caller's transaction then records nothing."""
    organisation = account.organisation
    with translation.override(language_of(account)):
        values = {"org": organisation.name, "url": url,
                  "until": localized(expires_at)}
        if purpose == LinkPurpose.INVITATION:
            subject = gettext("Your customer space at %(org)s") % values
            body = gettext(
                "Hello,\n\n%(org)s invites you to its customer space, where you can see your invoices, download "
                "them as archived (Factur-X PDF and XML) and choose how you receive them.\n\n"
                "Open this link to choose your password (it works once, until %(until)s):\n%(url)s\n\n"
                "If you did not expect this message, you can ignore it.\n\n%(org)s") % values
        else:
            subject = gettext("New password for your customer space at %(org)s") % values
            body = gettext(
                "Hello,\n\nSomeone asked for a new password for your customer space at %(org)s.\n\n"
                "Open this link to choose it (it works once, until %(until)s):\n%(url)s\n\n"
                "If you did not ask for it, ignore this message: your password stays as it is.\n\n%(org)s") % values
    message = EmailMessage(subject=subject, body=body, to=[account.email], reply_to=_reply_to(organisation),
                           headers={"Auto-Submitted": "auto-generated"})
    platform_send(message, organisation_id=organisation.pk, connection=connection, error=LinkNotSent)


# --- invitations --------------------------------------------------------------------------------


def portal_invite(*, by: Membership, contact_id: int) -> Invitation:
    """Invite a customer's contact to the portal: an account (created or reopened) and a one-time link by e-mail."""
    require_right(by, Right.SEND)
    with transaction.atomic():
        contact = (Contact.objects.select_for_update().select_related("customer", "customer__organisation")
                   .filter(pk=contact_id, customer__organisation=by.organisation).first())
        if contact is None:
            raise ContactNotInvitable(_("No such contact in %(org)s."), org=by.organisation.name)
        email = (contact.email or "").strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise ContactNotInvitable(_("%(contact)s has no valid e-mail address: add one to the customer first."),
                                      contact=contact.name or contact.customer.name)
        if contact.customer.is_archived:
            raise ContactNotInvitable(_("The customer %(code)s is archived."), code=contact.customer.code)
        account = PortalAccount.objects.select_for_update().filter(contact=contact).first()
        clash = PortalAccount.objects.filter(organisation=by.organisation, email=email)
        if account is not None:
            clash = clash.exclude(pk=account.pk)
        other = clash.select_related("customer").first()
        if other is not None:
            raise ContactNotInvitable(
                _("%(email)s already has access to the portal for the customer %(code)s; one address opens one "
                  "customer's space."), email=email, code=other.customer.code)
        if account is None:
            account = PortalAccount(organisation=by.organisation, customer=contact.customer, contact=contact,
                                    email=email, invited_by=by.user)
            account.set_unusable_password()
        account.email = email
        account.is_active = True
        account.save()
        token, link = _new_link(account, purpose=LinkPurpose.INVITATION, by_user=by.user)
        url = link_url(by.organisation, token)
        audit_record(actor=by, subject=contact.customer, action="portal.invite",
                     after={"contact": contact.pk, "email": email, "expires": link.expires_at.isoformat()})
        _mail_link(account, purpose=LinkPurpose.INVITATION, url=url, expires_at=link.expires_at)
    return Invitation(account=account, link=url, expires_at=link.expires_at)


def portal_revoke(*, by: Membership, contact_id: int) -> PortalAccount | None:
    """Close a contact's access: its sessions end at their next request, its links stop working."""
    require_right(by, Right.SEND)
    with transaction.atomic():
        account = (PortalAccount.objects.select_for_update()
                   .filter(organisation=by.organisation, contact_id=contact_id).first())
        if account is None:
            return None
        account.is_active = False
        account.set_unusable_password()  # changes the session hash: open sessions end
        account.save(update_fields=["is_active", "password"])
        PortalLink.objects.filter(account=account, used_at__isnull=True).delete()
        audit_record(actor=by, subject=account.customer, action="portal.revoke",
                     after={"contact": contact_id, "email": account.email})
    return account


def password_link_request(*, organisation: Organisation, email: str) -> bool:
    """Mail a one-time link for a new password to an existing, active account; says nothing either way to
    the person asking (so the form does not reveal who has an account). Returns whether a link was sent;
    `LinkNotSent` when the platform's mail server does not answer, whoever asks."""
    # The mail server is tried before the address is looked up: when it is down, everyone is told alike.
    connection = platform_mail_ready(organisation_id=organisation.pk, error=LinkNotSent)
    try:
        account = (PortalAccount.objects.select_related("organisation", "customer")
                   .filter(organisation=organisation, email=email.strip().lower(), is_active=True).first())
        if account is None:
            return False
        with transaction.atomic():
            token, link = _new_link(account, purpose=LinkPurpose.RESET)
            _mail_link(account, purpose=LinkPurpose.RESET, url=link_url(organisation, token),
                       expires_at=link.expires_at, connection=connection)
        return True
    finally:
        connection.close()


# --- links and passwords ------------------------------------------------------------------------


def link_check(*, organisation: Organisation, token: str, for_update: bool = False) -> PortalLink:
    """The unused, unexpired link of this token in this organisation's portal; BadPortalLink otherwise."""
    qs = PortalLink.objects.select_related("account", "account__organisation", "account__customer")
    if for_update:
        qs = qs.select_for_update()
    link = qs.filter(digest=_digest(token), account__organisation=organisation).first()
    if link is None:
        raise BadPortalLink(_("This link is not valid: it may have been replaced by a newer one. Copy the link of "
                              "the latest e-mail in full, or ask for a new one."))
    if link.used_at is not None:
        raise BadPortalLink(_("This link was already used. Sign in with your password, or ask for a new link."))
    if link.expires_at <= timezone.now():
        raise BadPortalLink(_("This link has expired. Ask for a new one below, or ask %(org)s to invite you again."),
                            org=organisation.name)
    if not link.account.is_active:
        raise BadPortalLink(_("This access was closed by %(org)s."), org=organisation.name)
    return link


def link_use(*, organisation: Organisation, token: str, password: str) -> PortalAccount:
    """Spend a one-time link: the password it lets the customer choose becomes the account's. A new-password
    link keeps the authenticator (the code is still asked); an invitation starts it afresh."""
    with transaction.atomic():
        link = link_check(organisation=organisation, token=token, for_update=True)
        account = link.account
        account.set_password(password)
        if account.activated_at is None:
            account.activated_at = timezone.now()
        if link.purpose == LinkPurpose.INVITATION:
            # A new invitation is the company's answer to a lost phone: the authenticator is set up again.
            account.totp_key, account.totp_confirmed, account.totp_last_t = None, False, -1
        account.save(update_fields=["password", "activated_at", "totp_key", "totp_confirmed", "totp_last_t"])
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
        audit_record(actor=None, organisation=organisation, subject=account.customer,
                     action=f"portal.{link.purpose}.used", after={"email": account.email})
    return account


def authenticate(*, organisation: Organisation, email: str, password: str) -> PortalAccount | None:
    account = (PortalAccount.objects.select_related("organisation", "customer")
               .filter(organisation=organisation, email=email.strip().lower(), is_active=True).first())
    if account is None:
        make_password(password)  # the same work as a real check: timing does not tell who exists
        return None
    return account if account.check_password(password) else None


def change_language(*, account: PortalAccount, language: str) -> None:
    account.language = language
    account.save(update_fields=["language"])


# --- authenticator (TOTP) -----------------------------------------------------------------------


def _purpose(account: PortalAccount) -> str:
    return f"portal-totp:{account.pk}"


def totp_key(account: PortalAccount) -> bytes | None:
    return open_secret(bytes(account.totp_key), purpose=_purpose(account)) if account.totp_key else None


def totp_start(*, account: PortalAccount) -> bytes:
    """A new authenticator key, sealed at rest; it counts once a code from it is confirmed."""
    if account.totp_confirmed and account.totp_key:
        return totp_key(account)
    key = totp_key(account)
    if key is None:
        key = os.urandom(20)
        account.totp_key = seal_secret(key, purpose=_purpose(account))
        account.save(update_fields=["totp_key"])
    return key


def totp_config_url(account: PortalAccount, key: bytes) -> str:
    import base64
    from urllib.parse import quote

    issuer = quote(account.organisation.name)
    secret = base64.b32encode(key).decode().rstrip("=")
    return f"otpauth://totp/{issuer}:{quote(account.email)}?secret={secret}&issuer={issuer}&digits=6&period=30"


def totp_check(*, account: PortalAccount, code: str) -> bool:
    """Whether the code is right (each time step is accepted once); confirms a new authenticator."""
    code = "".join(code.split())
    if not code.isdigit() or len(code) != 6:
        return False
    with transaction.atomic():
        account = PortalAccount.objects.select_for_update().get(pk=account.pk)
        key = totp_key(account)
        if key is None:
            return False
        totp = TOTP(key, step=30, t0=0, digits=6)
        if not totp.verify(int(code), tolerance=TOTP_TOLERANCE, min_t=account.totp_last_t + 1):
            return False
        account.totp_last_t = totp.t()
        fields = ["totp_last_t"]
        if not account.totp_confirmed:
            account.totp_confirmed = True
            fields.append("totp_confirmed")
            audit_record(actor=None, organisation=account.organisation, subject=account.customer,
                         action="portal.totp.on", after={"email": account.email})
        account.save(update_fields=fields)
    return True


# --- consent ------------------------------------------------------------------------------------


def consent_answer(*, account: PortalAccount, accept: bool, remote_address: str | None) -> None:
    """The customer accepts or refuses e-mailed invoices from its space: recorded by the delivery app's consent
    answers, exactly as an answer to the consent letter, plus who answered in the portal."""
    from facturier.delivery.consent import consent_answer_for

    with transaction.atomic():
        consent_answer_for(customer=account.customer, accept=accept, origin=ConsentOrigin.PORTAL,
                           remote_address=remote_address)
        audit_record(actor=None, organisation=account.organisation, subject=account.customer,
                     action="portal.consent", after={"accepted": accept, "email": account.email})
