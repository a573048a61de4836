"""Writes of Chorus Pro: the account settings (secrets sealed at rest), the connection test that
enables it, the two functions of the one send gate (`facturier.delivery.services.send_documents`):
`chorus_refusal(document)` and `chorus_queue(by=, document=)`, and the public buyers' requirements read
from Chorus Pro's Structures API and cached (`buyer_rules_fetch`, `buyer_rules_refresh`; the rule that
uses them is `chorus.rules`)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Membership, Right
from facturier.accounts.services import require_right
from facturier.audit.services import audit_record
from facturier.errors import FacturierError
from facturier.invoicing.models import Document, State
from facturier.platforms.chorus.client import ChorusClient, ChorusError, Endpoint, StructureRules
from facturier.platforms.chorus.demo import is_simulator
from facturier.platforms.chorus.models import (
    ChorusAccount,
    ChorusBuyer,
    ChorusSubmission,
    Environment,
    SubmissionState,
)
from facturier.platforms.chorus.rules import document_missing
from facturier.platforms.chorus.rules import goes_to_chorus as customer_goes_to_chorus
from facturier.secrets import open_secret, seal_secret

log = logging.getLogger(__name__)

FIELDS = {"environment", "token_url", "api_url", "client_id", "login", "structure_id"}
SECRETS = ("client_secret", "password")
ENDPOINT = {"environment", "token_url", "api_url", "client_id", "login"}


class ChorusSettingsError(FacturierError):
    code = "chorus_settings"


def _purpose(name: str, account: ChorusAccount) -> str:
    return f"chorus-{name.replace('_', '-')}:{account.organisation_id}"


def secret_of(account: ChorusAccount, name: str) -> str:
    sealed = bytes(getattr(account, name) or b"")
    return open_secret(sealed, purpose=_purpose(name, account)).decode() if sealed else ""


def timeout() -> float:
    return float(getattr(settings, "FACTURIER_CHORUS_TIMEOUT_S", 30.0))


def endpoint_of(account: ChorusAccount) -> Endpoint:
    token_url, api_url = account.urls
    return Endpoint(token_url=token_url, api_url=api_url, client_id=account.client_id,
                    client_secret=secret_of(account, "client_secret"), login=account.login,
                    password=secret_of(account, "password"),
                    allow_private=settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS or (
                        is_simulator(token_url) and is_simulator(api_url)),
                    ca_file=settings.FACTURIER_OUTBOUND_CA_FILE, timeout=timeout())


def client_for(account: ChorusAccount) -> ChorusClient:
    return ChorusClient(endpoint_of(account))


def account_of(organisation) -> ChorusAccount | None:
    return ChorusAccount.objects.filter(organisation=organisation).first()


def account_save(*, by: Membership, **values) -> ChorusAccount:
    """Create or change the organisation's Chorus Pro account. A secret given (not None) is sealed; "" removes
    it. A change of addresses or credentials disables the account until it is tested again."""
    require_right(by, Right.MANAGE_SETTINGS)
    given = {name: values.pop(name) for name in SECRETS if name in values}
    unknown = set(values) - FIELDS
    if unknown:
        raise TypeError(f"unknown Chorus Pro fields: {sorted(unknown)}")
    with transaction.atomic():
        current = ChorusAccount.objects.select_for_update().filter(organisation=by.organisation).first()
        account = current or ChorusAccount(organisation=by.organisation)
        before = {name: getattr(account, name) for name in sorted(FIELDS)} if current else None
        for name, value in values.items():
            setattr(account, name, value)
        account.full_clean(exclude=["organisation", *SECRETS])
        if account.environment == Environment.CUSTOM and not (account.token_url and account.api_url):
            raise ValidationError({f: _("Required with “other addresses”.") for f in ("token_url", "api_url")
                                   if not getattr(account, f)})
        changed = current is None or any(before[f] != getattr(account, f) for f in ENDPOINT)
        account.save()
        for name, value in given.items():
            if value is None:
                continue
            setattr(account, name, seal_secret(value.encode(), purpose=_purpose(name, account)) if value else b"")
            changed = True
        if changed:
            account.enabled = account.test_ok = False
        account.save()
        after = {name: getattr(account, name) for name in sorted(FIELDS)}
        after.update({name: "(changed)" for name, v in given.items() if v is not None})
        audit_record(actor=by, subject=account, action="chorus.account_save", before=before, after=after)
    return account


def account_test(*, by: Membership) -> list[dict]:
    """The connection test, step by step (token, technical account, API call); a pass enables the account,
    a failure disables it. Returns the steps."""
    require_right(by, Right.MANAGE_SETTINGS)
    account = account_of(by.organisation)
    if account is None:
        raise ChorusSettingsError(_("Set up the Chorus Pro account first."))
    with client_for(account) as client:
        steps = client.test()
    ok = all(s["ok"] for s in steps)
    with transaction.atomic():
        ChorusAccount.objects.filter(pk=account.pk).update(tested_at=timezone.now(), test_ok=ok, enabled=ok,
                                                           test_steps=steps)
        audit_record(actor=by, subject=account, action="chorus.account_test", after={"ok": ok, "steps": steps})
        if ok:  # the invoices that waited for the account go now
            ChorusSubmission.objects.filter(organisation=by.organisation, state=SubmissionState.PENDING).update(
                next_attempt_at=timezone.now())
    if ok:
        from facturier.platforms.chorus.outbox import enqueue_chorus_flush

        organisation_id = by.organisation.pk
        transaction.on_commit(lambda: enqueue_chorus_flush(organisation_id))
    return steps


def buyer_rules(customer) -> ChorusBuyer:
    return ChorusBuyer.objects.filter(customer=customer).first() or ChorusBuyer(customer=customer)


# --- the send gate -------------------------------------------------------------------------------


def goes_to_chorus(document: Document) -> bool:
    """A public-sector customer's documents, and those of a customer whose channel is Chorus Pro."""
    return customer_goes_to_chorus(document.customer)


def chorus_refusal(document: Document) -> tuple[str, str] | None:
    """Why a document cannot be deposited on Chorus Pro now (code, message in the reader's language), or None."""
    from facturier.billing.models import Capability
    from facturier.billing.services import capability_refusal

    customer = document.customer
    if document.state == State.DRAFT:
        return "draft", str(_("This document is a draft: issue it first, then send it."))
    refusal = capability_refusal(document.organisation, Capability.PLATFORM)
    if refusal is not None:
        return "plan_capability_missing", str(refusal)
    account = account_of(document.organisation)
    if account is None:
        return "no_chorus_account", str(_("%(customer)s receives its invoices through Chorus Pro, but no Chorus Pro "
                                          "account is set up: add one in Settings → Chorus Pro.") % {
            "customer": customer.name})
    if not account.enabled:
        return "chorus_disabled", str(_("The Chorus Pro account is not enabled: test its connection in Settings → "
                                        "Chorus Pro."))
    lacking = document_missing(document)
    if lacking:
        first = lacking[0]
        return first.code, first.message.in_language(get_language() or "fr") + " " + str(
            _("Complete the customer, then cancel this invoice with a credit note and issue a new one: an issued "
              "invoice cannot change.") if first.code == "no_siret" else
            _("An issued invoice cannot change: cancel it with a credit note and issue a new one carrying it."))
    submission = ChorusSubmission.objects.filter(document=document).first()
    if submission is not None:
        if submission.state == SubmissionState.UNKNOWN:
            return "unknown", str(_("The outcome of this document's deposit on Chorus Pro is unknown: check on "
                                    "Chorus Pro, then decide on the document's page."))
        if submission.state in (SubmissionState.PENDING, SubmissionState.SENDING):
            return "in_progress", str(_("This document is already waiting to be deposited on Chorus Pro."))
        if submission.state == SubmissionState.DEPOSITED:
            return "already_deposited", str(_("This document is already on Chorus Pro (flow %(flow)s).") % {
                "flow": submission.flow_number})
    return None


def chorus_queue(*, by: Membership, document: Document) -> ChorusSubmission:
    """Queue a document for Chorus Pro (called by the send gate after `chorus_refusal`); the worker deposits
    it once. A submission that failed for good is queued again (a person fixed the cause)."""
    from facturier.delivery.history import delivery_mark
    from facturier.delivery.models import DeliveryState
    from facturier.platforms.chorus.outbox import enqueue_chorus_flush

    now = timezone.now()
    with transaction.atomic():
        submission = ChorusSubmission.objects.select_for_update().filter(document=document).first()
        if submission is None:
            submission = ChorusSubmission.objects.create(
                organisation_id=document.organisation_id, document=document, next_attempt_at=now,
                file_name=f"{document.number}.pdf")
        elif submission.state == SubmissionState.FAILED:
            ChorusSubmission.objects.filter(pk=submission.pk).update(
                state=SubmissionState.PENDING, next_attempt_at=now, attempts=0, claimed_by="",
                transfer_started_at=None)
            submission.refresh_from_db()
        delivery_mark(document=document, state=DeliveryState.QUEUED, recipient="Chorus Pro", actor=by,
                      detail=str(_("Queued for Chorus Pro")))
        audit_record(actor=by, subject=document, action="chorus.queue")
        organisation_id = document.organisation_id
        transaction.on_commit(lambda: enqueue_chorus_flush(organisation_id))
    return submission


def buyer_rules_save(*, by: Membership, customer_id: int, service_code_required: bool,
                     engagement_required: bool) -> ChorusBuyer:
    """Record by hand what a public buyer's Chorus Pro structure requires (when Chorus Pro cannot be read):
    checked by the issue and send gates until the structure is read from Chorus Pro again."""
    from facturier.parties.models import Customer

    require_right(by, Right.MANAGE_SETTINGS)
    with transaction.atomic():
        customer = Customer.objects.filter(organisation=by.organisation, pk=customer_id).first()
        if customer is None:
            raise ChorusSettingsError(_("No such customer."))
        rules = buyer_rules(customer)
        before = {"service_code_required": rules.service_code_required,
                  "engagement_required": rules.engagement_required} if rules.pk else None
        rules.service_code_required, rules.engagement_required = service_code_required, engagement_required
        rules.fetched_at = None  # entered by hand: shown so, and read from Chorus Pro again before the next issue
        rules.save()
        audit_record(actor=by, subject=customer, action="chorus.buyer_rules", before=before, after={
            "service_code_required": service_code_required, "engagement_required": engagement_required})
    return rules


STRUCTURE_TTL = dt.timedelta(days=7)
"""How long a structure's parameters read from Chorus Pro are trusted before sending reads them again."""


def _customer_of(by: Membership, customer_id: int):
    from facturier.parties.models import Customer

    customer = Customer.objects.filter(organisation=by.organisation, pk=customer_id).first()
    if customer is None:
        raise ChorusSettingsError(_("No such customer."))
    return customer


def _store_structure(customer, read: StructureRules | None, error: str = "") -> ChorusBuyer:
    with transaction.atomic():
        rules = (ChorusBuyer.objects.select_for_update().filter(customer=customer).first()
                 or ChorusBuyer(customer=customer))
        if read is not None:
            rules.service_code_required, rules.engagement_required = read.service_code_required, \
                read.engagement_required
            rules.service_or_engagement = read.service_or_engagement
            rules.structure_id, rules.structure_name = read.structure_id[:30], read.name[:200]
            rules.services = [{"code": s.code, "name": s.name} for s in read.services if s.active]
            rules.fetched_at = timezone.now()
        rules.fetch_error = error[:500]
        rules.save()
    return rules


def buyer_rules_fetch(*, by: Membership, customer_id: int) -> ChorusBuyer:
    """Read a public buyer's structure on Chorus Pro (by its SIRET): whether it requires a service code and/or an
    engagement number, and its active services; cached on the customer with the date. A Chorus Pro error is
    raised to the reader (translated) and kept on the rules."""
    require_right(by, Right.MANAGE_SETTINGS)
    customer = _customer_of(by, customer_id)
    if not customer.siret:
        raise ChorusSettingsError(_("%(customer)s has no SIRET: Chorus Pro finds a public structure by its SIRET. "
                                    "Add it on the customer's page."), customer=customer.name)
    account = account_of(by.organisation)
    if account is None:
        raise ChorusSettingsError(_("Set up the Chorus Pro account first."))
    try:
        with client_for(account) as client:
            read = client.structure_rules(customer.siret)
    except ChorusError as e:
        _store_structure(customer, None, e.message)
        raise
    rules = _store_structure(customer, read)
    audit_record(actor=by, subject=customer, action="chorus.buyer_rules_fetch", after={
        "structure_id": rules.structure_id, "service_code_required": rules.service_code_required,
        "engagement_required": rules.engagement_required, "service_or_engagement": rules.service_or_engagement,
        "services": sorted(rules.service_codes)})
    return rules


def buyer_rules_refresh(customer) -> ChorusBuyer | None:
    """Before a document to a public buyer is sent (outside the send transaction): read its structure again when
    never read or older than STRUCTURE_TTL. Never stops a send: Chorus Pro unreachable, the cached rules stand
    (the error is kept on them)."""
    if not customer.siret:
        return None
    account = account_of(customer.organisation)
    if account is None or not account.enabled:
        return None
    rules = ChorusBuyer.objects.filter(customer=customer).first()
    if rules is not None and rules.fetched_at and rules.fetched_at > timezone.now() - STRUCTURE_TTL:
        return rules
    try:
        with client_for(account) as client:
            read = client.structure_rules(customer.siret)
    except ChorusError as e:
        log.warning("Chorus Pro structure of customer %s not read: %s", customer.pk, e)
        return _store_structure(customer, None, e.message) if rules is not None else None
    return _store_structure(customer, read)
