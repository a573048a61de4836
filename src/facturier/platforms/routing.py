"""Routing per document: which way an invoice leaves under the 2026 reform, and why.

- a B2B invoice to a French company (a SIREN, billed in France, not public sector) goes to the
  organisation's approved platform (PA). The PA directory (`DirectoryClient.lines_for_siren`,
  cached per organisation and SIREN with its date, looked up again after `DIRECTORY_TTL`) gives
  the buyer's addressing identifier (scheme 0225), which becomes its electronic address BT-49.
  Several lines: the one the customer's electronic address or SIRET names, else the user chooses
  (the refusal lists the choices). No line: refused, saying so — the buyer cannot receive yet.
- public sector: Chorus Pro — or the PA when the organisation's connection says its PA handles B2G;
- B2C and international sales: e-reporting, and the customer's own channel (e-mail, portal, post).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from facturier.platforms.submissions import DirectoryEntry

log = logging.getLogger(__name__)

DIRECTORY_TTL = dt.timedelta(days=7)
ISSUING_FROM = {"large": dt.date(2026, 9, 1), "sme": dt.date(2027, 9, 1)}
"""When a company must issue its B2B invoices through a PA, by its category (the connection says which): large
and mid-size companies since 2026-09-01, SMEs and micro-enterprises from 2027-09-01. Before its date, an invoice
goes to the PA when its customer's channel says so ("Approved platform") and keeps its e-mail/portal/post channel
otherwise."""


def issuing_from(connection) -> dt.date:
    return ISSUING_FROM.get(connection.issuer_category, ISSUING_FROM["sme"])


ROUTING_SCHEME = "0225"


class Way:
    PLATFORM = "platform"
    CHORUS = "chorus"
    EREPORTING = "ereporting"


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """Where a document goes (`channel`), why (`reason`, in the active language), the buyer's electronic
    address when it goes to a PA, the processing rule of its flow, and the refusal when it cannot go."""

    channel: str
    reason: str
    address: str = ""
    processing_rule: str = ""
    refusal: tuple[str, str] | None = None
    choices: tuple[str, ...] = field(default=())
    looked_up_at: dt.datetime | None = None


def _get(obj, *names, default=""):
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return default


def _line_dict(line) -> dict:
    return {
        "address": str(_get(line, "addressing_identifier", "address", "identifier", "addressingIdentifier")),
        "kind": str(_get(line, "kind", "scheme_kind", "identifier_kind", "type")),
        "siret": str(_get(line, "siret") or ""),
        "routing_code": str(_get(line, "routing_identifier", "routing_code", "routingCode") or ""),
        "platform": str(_get(line, "platform", "platform_name", "platformName") or ""),
    }


def _buyer(document) -> dict:
    if document.buyer_snapshot:
        return document.buyer_snapshot
    customer = document.customer
    from facturier.parties.models import AddressKind
    from facturier.parties.selectors import addresses_at

    billing = document.billing_address or addresses_at(
        customer=customer, kinds=(AddressKind.BILLING,), on=timezone.localdate()).get(AddressKind.BILLING)
    return {"siren": customer.siren, "siret": customer.siret, "is_public_sector": customer.is_public_sector,
            "vat_number": customer.vat_number, "electronic_address": customer.electronic_address,
            "electronic_address_scheme": customer.electronic_address_scheme,
            "billing_address": {"country": billing.country if billing else "FR"}}


def directory_lines(organisation, siren: str, *, lookup: bool = True, now: dt.datetime | None = None,
                    connection=None) -> tuple[list[dict], dt.datetime | None]:
    """The directory lines of a SIREN and when they were looked up: from the cache while fresh, else asked
    to the PA directory (`lookup`) and cached. Raises the client's PlatformError when the PA cannot answer
    and nothing is cached."""
    now = now or timezone.now()
    entry = DirectoryEntry.objects.filter(organisation=organisation, siren=siren).first()
    if entry is not None and (not lookup or now - entry.looked_up_at < DIRECTORY_TTL):
        return entry.lines, entry.looked_up_at
    if not lookup:
        return [], None
    from facturier.platforms.client import DirectoryClient, PlatformError
    from facturier.platforms.selectors import connection_for

    connection = connection or connection_for(organisation)
    if connection is None:
        return (entry.lines, entry.looked_up_at) if entry else ([], None)
    try:
        with DirectoryClient(connection) as client:
            lines = [_line_dict(line) for line in client.lines_for_siren(siren)
                     if getattr(line, "status", "Enabled") in ("", "Enabled")]
    except PlatformError:
        if entry is not None:  # the PA directory down: the last answer, with its date
            log.warning("directory lookup of %s failed; using the answer of %s", siren, entry.looked_up_at)
            return entry.lines, entry.looked_up_at
        raise
    DirectoryEntry.objects.update_or_create(organisation=organisation, siren=siren,
                                            defaults={"lines": lines, "looked_up_at": now})
    return lines, now


def chosen_line(customer, lines: list[dict]) -> tuple[dict | None, list[str]]:
    """The line the documents of `customer` go to, or None and the choices when the user must choose."""
    if len(lines) == 1:
        return lines[0], []
    wanted = (customer.electronic_address or "").strip()
    if wanted:
        for line in lines:
            if line["address"] == wanted:
                return line, []
    if customer.siret:
        same = [line for line in lines if line["siret"] == customer.siret]
        if len(same) == 1:
            return same[0], []
    return None, [line["address"] for line in lines]


def _is_french_company(buyer: dict) -> bool:
    country = ((buyer.get("billing_address") or {}).get("country") or "FR").upper()
    return bool(buyer.get("siren")) and country == "FR"


def pa_handles_b2g(organisation) -> bool:
    from facturier.platforms.selectors import connection_for

    connection = connection_for(organisation)
    return bool(connection is not None and connection.handles_b2g)


def decide(document, *, lookup: bool = True, now: dt.datetime | None = None) -> RoutingDecision:
    """The way `document` leaves and why (see the module's docstring); never raises for a routing problem:
    the decision then carries the refusal (code, message) a sender shows."""
    from facturier.parties.models import Channel

    buyer = _buyer(document)
    customer = document.customer
    organisation = document.organisation
    own = Channel(customer.preferred_channel).label
    if buyer.get("is_public_sector"):
        if pa_handles_b2g(organisation):
            return RoutingDecision(Way.PLATFORM, _("Public-sector buyer: sent to Chorus Pro through the approved "
                                                   "platform, which handles B2G."), processing_rule="B2G")
        return RoutingDecision(Way.CHORUS, _("Public-sector buyer: sent to Chorus Pro."), processing_rule="B2G")
    if not _is_french_company(buyer):
        why = (_("International sale: reported to the tax administration (e-reporting) and delivered by “%(channel)s”.")
               if buyer.get("vat_number") or (buyer.get("billing_address") or {}).get("country", "FR") != "FR"
               else _("Sale to a private person or an entity without SIREN: reported to the tax administration "
                      "(e-reporting) and delivered by “%(channel)s”."))
        rule = "B2BInt" if buyer.get("vat_number") or buyer.get("foreign_identifier") else "B2C"
        return RoutingDecision(Way.EREPORTING, why % {"channel": own}, processing_rule=rule)
    siren = buyer["siren"]
    from facturier.platforms.client import PlatformError

    try:
        lines, when = directory_lines(organisation, siren, lookup=lookup, now=now)
    except PlatformError as e:
        message = _("The PA directory could not route this invoice: %(reason)s") % {
            "reason": getattr(e, "message", str(e))}
        return RoutingDecision(Way.PLATFORM, message, processing_rule="B2B", refusal=("directory_unreachable", message))
    if when is None:
        return RoutingDecision(Way.PLATFORM, _("French company (SIREN %(siren)s): goes to the approved platform; its "
                                               "directory will be asked when the invoice is sent.") % {"siren": siren},
                               processing_rule="B2B")
    if not lines:
        message = _("The PA directory has no line for SIREN %(siren)s (looked up %(when)s): this company cannot "
                    "receive e-invoices through a platform yet. Check the SIREN, or ask the customer which platform "
                    "it has chosen.") % {"siren": siren, "when": _date(when)}
        return RoutingDecision(Way.PLATFORM, message, processing_rule="B2B", refusal=("no_directory_line", message),
                               looked_up_at=when)
    line, choices = chosen_line(customer, lines)
    if line is None:
        message = _("The PA directory has %(count)d lines for SIREN %(siren)s: %(choices)s. Choose the one this "
                    "customer's invoices go to (its electronic address).") % {
            "count": len(choices), "siren": siren, "choices": ", ".join(choices)}
        return RoutingDecision(Way.PLATFORM, message, processing_rule="B2B", refusal=("routing_choice", message),
                               choices=tuple(choices), looked_up_at=when)
    reason = _("French company in the directory (looked up %(when)s): sent to the approved platform, addressed to "
               "%(address)s%(platform)s.") % {
        "when": _date(when), "address": line["address"],
        "platform": _(" (received by %(name)s)") % {"name": line["platform"]} if line["platform"] else ""}
    return RoutingDecision(Way.PLATFORM, reason, address=line["address"], processing_rule="B2B", looked_up_at=when)


def _date(when: dt.datetime) -> str:
    from facturier.errors import localized

    return localized(timezone.localtime(when).date())


def directory_address(customer) -> tuple[str, str] | None:
    """The buyer's electronic address (BT-49, scheme 0225) the cached directory gives, for the snapshot taken at
    issue; None when the customer has its own, or nothing is cached, or the user must still choose. Reads the
    cache only: issuing never waits on the network (sending looks the directory up first)."""
    if customer.electronic_address or not customer.siren or customer.is_public_sector:
        return None
    entry = DirectoryEntry.objects.filter(organisation_id=customer.organisation_id, siren=customer.siren).first()
    if entry is None or not entry.lines:
        return None
    line, _choices = chosen_line(customer, entry.lines)
    return (line["address"], ROUTING_SCHEME) if line and line["address"] else None


def customer_route_choose(*, by, customer_id: int, address: str):
    """The user's choice among a SIREN's directory lines: it becomes the customer's electronic address."""
    from django.db import transaction

    from facturier.accounts.models import Right
    from facturier.accounts.services import require_right
    from facturier.audit.services import audit_record
    from facturier.errors import FacturierError
    from facturier.parties.models import Customer

    require_right(by, Right.MANAGE_CUSTOMERS) if hasattr(Right, "MANAGE_CUSTOMERS") else require_right(by, Right.SEND)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id, organisation=by.organisation)
        entry = DirectoryEntry.objects.filter(organisation=by.organisation, siren=customer.siren).first()
        if entry is None or address not in [line["address"] for line in entry.lines]:
            raise FacturierError(_("%(address)s is not one of the directory lines of SIREN %(siren)s."),
                                 address=address, siren=customer.siren)
        before = {"electronic_address": customer.electronic_address,
                  "electronic_address_scheme": customer.electronic_address_scheme}
        customer.electronic_address, customer.electronic_address_scheme = address, ROUTING_SCHEME
        customer.save(update_fields=["electronic_address", "electronic_address_scheme"])
        audit_record(actor=by, subject=customer, action="customer.route_choose", before=before,
                     after={"electronic_address": address, "electronic_address_scheme": ROUTING_SCHEME})
    return customer
