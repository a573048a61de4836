"""What a public buyer requires of an invoice deposited on Chorus Pro, checked where Chorus Pro reads it.

Chorus Pro routes a Factur-X invoice by the buyer's SIRET (BT-46, scheme 0009), then to a service by the
service code (BT-10, "service exécutant") and ties it to a commitment by the engagement number (BT-13,
"engagement juridique"); each structure says which of the two it requires (`ChorusBuyer`, read from its
"Structures" API). Two gates use this one rule: issuing (`invoicing.gate`: an issued invoice is frozen, so
what it lacks must be caught before) and sending (`services.chorus_refusal`).
"""

from __future__ import annotations

from dataclasses import dataclass

from facturier.engine.errors import Message
from facturier.engine.validation.report import Finding, Severity


@dataclass(frozen=True, slots=True)
class Missing:
    code: str
    """The refusal code the send gate reports ("no_service_code"…)."""
    rule: str
    """The rule id the issue gate reports ("CHORUS-SERVICE"…)."""
    path: str
    message: Message


def goes_to_chorus(customer) -> bool:
    """A public-sector customer's documents, and those of a customer whose channel is Chorus Pro."""
    return bool(customer.is_public_sector or customer.preferred_channel == "chorus")


def rules_of(customer):
    from facturier.platforms.chorus.models import ChorusBuyer

    return ChorusBuyer.objects.filter(customer=customer).first()


def missing(*, customer_name: str, siret: str | None, service_code: str, engagement: str, rules) -> list[Missing]:
    """What the invoice lacks for its public buyer (`rules`: its `ChorusBuyer`, or None when unknown; `siret`
    None: not checked)."""
    out = []
    if siret is not None and not siret:
        out.append(Missing("no_siret", "CHORUS-SIRET", "buyer.identifiers", Message(
            fr=f"{customer_name} n'a pas de SIRET : Chorus Pro achemine une facture par le SIRET de l'acheteur "
               "public (BT-46).",
            en=f"{customer_name} has no SIRET: Chorus Pro routes an invoice by its public buyer's SIRET (BT-46).")))
    if rules is None:
        return out
    if rules.service_or_engagement and not service_code and not engagement:
        out.append(Missing("no_service_or_engagement", "CHORUS-SERVICE-OR-EJ", "buyer_reference", Message(
            fr=f"{customer_name} exige sur ses factures un code service (BT-10) ou un numéro d'engagement (BT-13) : "
               "la facture ne porte ni l'un ni l'autre.",
            en=f"{customer_name} requires a service code (BT-10) or an engagement number (BT-13) on its invoices: "
               "this one carries neither.")))
    if rules.service_code_required and not service_code:
        out.append(Missing("no_service_code", "CHORUS-SERVICE", "buyer_reference", Message(
            fr=f"{customer_name} exige un code service sur ses factures (BT-10, le code service Chorus Pro) : la "
               "facture n'en porte pas.",
            en=f"{customer_name} requires a service code on its invoices (BT-10, the Chorus Pro service code): this "
               "one has none.")))
    known = rules.service_codes if rules.fetched_at else set()
    if service_code and known and service_code not in known:
        out.append(Missing("unknown_service_code", "CHORUS-SERVICE-UNKNOWN", "buyer_reference", Message(
            fr=f"Le code service {service_code} n'est pas un service actif de {customer_name} sur Chorus Pro "
               f"(services actifs : {', '.join(sorted(known))}).",
            en=f"The service code {service_code} is not an active service of {customer_name} on Chorus Pro "
               f"(active services: {', '.join(sorted(known))}).")))
    if rules.engagement_required and not engagement:
        out.append(Missing("no_engagement", "CHORUS-EJ", "purchase_order_reference", Message(
            fr=f"{customer_name} exige un numéro d'engagement sur ses factures (BT-13, la référence de bon de "
               "commande) : la facture n'en porte pas.",
            en=f"{customer_name} requires an engagement number on its invoices (BT-13, the purchase order "
               "reference): this one has none.")))
    return out


ISSUE_REMEDY = Message(
    fr=" Saisissez-le dans la facture (le code service peut aussi venir de la fiche du client) avant de l'émettre.",
    en=" Enter it on the invoice (the service code may also come from the customer's record) before issuing it.")


def issue_findings(invoice, document) -> list[Finding]:
    """The issue gate's findings for a document to a public buyer, on the engine invoice as it will be written.
    The SIRET too: it is frozen with the buyer at issue, so an invoice issued without it could never be
    deposited (the send gate reads the same frozen value)."""
    customer = document.customer
    if not goes_to_chorus(customer):
        return []
    snapshot = document.buyer_snapshot or {}
    found = missing(customer_name=customer.name, siret=snapshot.get("siret", customer.siret) or "",
                    service_code=invoice.buyer_reference or "", engagement=invoice.purchase_order_reference or "",
                    rules=rules_of(customer))
    return [Finding(rule=m.rule, severity=Severity.FATAL, path=m.path, source="chorus",
                    message=Message(fr=m.message.fr + ISSUE_REMEDY.fr, en=m.message.en + ISSUE_REMEDY.en))
            for m in found]


def document_missing(document) -> list[Missing]:
    """What an issued document lacks for its public buyer, read from what was frozen at issue (the values its
    Factur-X carries: `invoicing.mapping.document_to_invoice`)."""
    snapshot = document.buyer_snapshot or {}
    customer = document.customer
    return missing(customer_name=customer.name, siret=snapshot.get("siret", customer.siret) or "",
                   service_code=document.buyer_reference or snapshot.get("chorus_service_code") or "",
                   engagement=document.purchase_order or "", rules=rules_of(customer))
