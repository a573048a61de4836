"""Who is signed in to an organisation's portal: kept in the session beside (never inside) Django's
authentication, so a portal session is invisible to the company screens and the reverse."""

from __future__ import annotations

from django.utils.crypto import constant_time_compare

from facturier.portal.models import PortalAccount


def _key(organisation_id: int) -> str:
    return f"portal.{organisation_id}"


def sign_in(request, account: PortalAccount, *, verified: bool) -> None:
    """Open the account's session; `verified` is False until the second factor is confirmed."""
    request.session.cycle_key()  # no session fixation across the sign-in
    request.session[_key(account.organisation_id)] = {
        "a": account.pk, "h": account.get_session_auth_hash(), "v": verified}


def mark_verified(request, account: PortalAccount) -> None:
    request.session.cycle_key()
    request.session[_key(account.organisation_id)] = {
        "a": account.pk, "h": account.get_session_auth_hash(), "v": True}


def refresh_hash(request, account: PortalAccount) -> None:
    """After a password change the session stays open (other sessions of the account end)."""
    state = dict(request.session.get(_key(account.organisation_id)) or {})
    state.update(a=account.pk, h=account.get_session_auth_hash())
    request.session[_key(account.organisation_id)] = state


def sign_out(request, organisation_id: int) -> None:
    request.session.pop(_key(organisation_id), None)
    request.session.cycle_key()


def current(request, organisation) -> tuple[PortalAccount | None, bool]:
    """(account, second factor confirmed) of this organisation's portal, or (None, False)."""
    state = request.session.get(_key(organisation.pk))
    if not isinstance(state, dict):
        return None, False
    account = (PortalAccount.objects.select_related("organisation", "customer", "contact")
               .filter(pk=state.get("a"), organisation=organisation, is_active=True).first())
    # The contact must still be one of the account's customer's: a contact moved elsewhere loses the access.
    if account is None or account.contact.customer_id != account.customer_id or not constant_time_compare(
            state.get("h", ""), account.get_session_auth_hash()):
        request.session.pop(_key(organisation.pk), None)
        return None, False
    return account, bool(state.get("v"))
