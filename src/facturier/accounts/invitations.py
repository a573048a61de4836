"""Inviting a person into an organisation: an e-mailed single-use link, accepted by the invitee.

Nobody is added to an organisation by someone else's decision alone: an existing user accepts
while signed in as the invited address; a new person chooses a password when accepting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Invitation, Membership, Right, Role, User
from facturier.accounts.services import membership_add, require_right
from facturier.errors import FacturierError, localized

VALID_FOR = dt.timedelta(days=7)


class InvitationInvalid(FacturierError):
    code = "invitation_invalid"


class InvitationNotSent(FacturierError):
    code = "invitation_not_sent"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_send(*, by: Membership, email: str, full_name: str = "", role: Role | str) -> Invitation:
    """Invite a person by e-mail; earlier pending invitations of the same address to this organisation lapse."""
    from facturier.audit.services import audit_record

    require_right(by, Right.MANAGE_SETTINGS)
    email = email.strip().lower()
    if Membership.objects.filter(organisation=by.organisation, user__email__iexact=email, is_active=True).exists():
        raise InvitationInvalid(_("%(email)s is already a member of %(org)s."), email=email,
                                org=by.organisation.name)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        Invitation.objects.filter(organisation=by.organisation, email__iexact=email, accepted_at__isnull=True,
                                  expires_at__gt=now).update(expires_at=now)
        invitation = Invitation.objects.create(organisation=by.organisation, email=email, full_name=full_name,
                                               role=role, digest=_digest(token), created_by=by.user,
                                               expires_at=now + VALID_FOR)
        audit_record(actor=by, subject=invitation, action="membership.invite", after={"email": email, "role": role})
        _mail(invitation, token)
    return invitation


def _mail(invitation: Invitation, token: str) -> None:
    """The invitation from the platform's mail server (like password resets: the link is a credential)."""
    from django.urls import reverse

    existing = User.objects.filter(email__iexact=invitation.email).first()
    language = existing.language if existing else invitation.organisation.default_language
    url = settings.FACTURIER_BASE_URL + reverse("web:invitation", args=[token])
    with translation.override(language):
        values = {"org": invitation.organisation.name, "url": url, "role": invitation.get_role_display(),
                  "by": str(invitation.created_by or ""),
                  "until": localized(invitation.expires_at)}
        subject = gettext("Invitation to join %(org)s on Facturier") % values
        body = gettext(
            "Hello,\n\n%(by)s invites you to join %(org)s on Facturier (role: %(role)s).\n\n"
            "Open this link to accept (it works once, until %(until)s):\n%(url)s\n\n"
            "If you did not expect this message, ignore it: nothing changes without your answer.") % values
    message = EmailMessage(subject=subject, body=body, to=[invitation.email],
                           headers={"Auto-Submitted": "auto-generated"})
    # Through the platform's own mail, like password resets: to the catcher in the embedded setup.
    from facturier.delivery.platform_mail import PlatformMailError, platform_send

    try:
        platform_send(message, organisation_id=invitation.organisation_id)
    except PlatformMailError as e:
        cause = e.__cause__ or e
        raise InvitationNotSent(_("The invitation to %(email)s could not be sent (%(reason)s). Nothing was "
                                  "recorded; try again later."), email=invitation.email, reason=str(cause)[:200]) from e


def invitation_find(*, token: str) -> Invitation | None:
    """The pending invitation of a link, or None (unknown, used or expired)."""
    return (Invitation.objects.select_related("organisation")
            .filter(digest=_digest(token), accepted_at__isnull=True, expires_at__gt=timezone.now()).first())


def _spend(token: str) -> Invitation:
    invitation = (Invitation.objects.select_for_update().select_related("organisation")
                  .filter(digest=_digest(token)).first())
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= timezone.now():
        raise InvitationInvalid(_("This invitation link was already used or has expired. Ask for a new one."))
    return invitation


def invitation_accept(*, token: str, user: User) -> Membership:
    """The invitee, signed in as the invited address, joins the organisation."""
    from facturier.audit.services import audit_record

    with transaction.atomic():
        invitation = _spend(token)
        if user.email.lower() != invitation.email.lower():
            raise InvitationInvalid(_("This invitation is for %(email)s: sign in with that address to accept it."),
                                    email=invitation.email)
        membership = membership_add(organisation=invitation.organisation, user=user, role=invitation.role)
        invitation.accepted_at, invitation.accepted_by = timezone.now(), user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit_record(actor=user, subject=membership, action="membership.add", organisation=invitation.organisation,
                     after={"email": user.email, "role": invitation.role, "invitation": invitation.pk})
    return membership


def invitation_accept_new_user(*, token: str, password: str, full_name: str = "") -> Membership:
    """A person without an account accepts: the account is made with the password they chose."""
    with transaction.atomic():
        invitation = _spend(token)
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise InvitationInvalid(_("An account with %(email)s exists: sign in with it to accept."),
                                    email=invitation.email)
        user = User(email=invitation.email, full_name=full_name or invitation.full_name,
                    language=invitation.organisation.default_language)
        validate_password(password, user)
        user.set_password(password)
        user.save()
        return invitation_accept(token=token, user=user)
