"""The French CIUS rules (FNFE-MPE BR-FR, version 1.4.0.03) that can be judged on the model.

Each rule carries the base id of the official rule ("BR-FR-05"); the official schematron
splits some into several assertions ("BR-FR-05_BT-22_PMT"), which the message and the
path tell apart here. The multi-vendor and bidirectional rules (BR-FR-MV-*, BR-FR-BD-*)
need line groups the semantic model does not carry and are left to the official rules.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import lru_cache

from stdnum.fr import siren as stdnum_siren

from facturier.engine.en16931.model import Identifier
from facturier.engine.en16931.rules_core import FR_RULES, Ctx, RuleFn, blank, code, fail, fr_date, fr_num, rule
from facturier.engine.validation.report import Finding, Severity

__all__: list[str] = []

_SOURCE = "model-fr"

_ID_FORMAT = re.compile(r"[A-Za-z0-9+\-_/]+")
_ADDRESS_FORMAT = re.compile(r"[A-Za-z0-9+\-_.]+")
_NINE_DIGITS = re.compile(r"\d{9}")
_FOURTEEN_DIGITS = re.compile(r"\d{14}")
_AMOUNT = re.compile(r"-?\d{1,19}(?:\.\d{1,2})?")
_QUANTITY = re.compile(r"-?\d{1,19}(?:\.\d{1,4})?")
_PRICE = re.compile(r"\d{1,19}(?:\.\d{1,6})?")
_SIGNED_PRICE = re.compile(r"-?\d{1,19}(?:\.\d{1,6})?")
_RATE = re.compile(r"\d{1,4}(?:\.\d{1,2})?")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


DOCUMENT_TYPES = _words("380 389 393 501 386 500 384 471 472 473 261 262 381 396 502 503")
BILLING_FRAMEWORKS = _words("B1 S1 M1 B2 S2 M2 S3 B4 S4 M4 S5 S6 B7 S7 B8 S8 M8 B9 S9 M9")
BAR_VALUES = _words("B2B B2BINT B2C B2CINT OUTOFSCOPE ARCHIVEONLY")
VAT_CATEGORIES = _words("S E AE K G O Z")
VAT_RATES = _words(
    "0 0.0 0.00 10 10.0 10.00 13 13.0 13.00 20 20.0 20.00 8.5 8.50 19.6 19.60 2.1 2.10 5.5 5.50 7 7.0 7.00 "
    "20.6 20.60 1.05 0.9 0.90 1.75 9.2 9.20 9.6 9.60"
)
ATTACHMENT_CODES = _words(
    "RIB LISIBLE FEUILLE_DE_STYLE PJA BORDEREAU_SUIVI DOCUMENT_ANNEXE BON_LIVRAISON BON_COMMANDE "
    "BORDEREAU_SUIVI_VALIDATION ETAT_ACOMPTE FACTURE_PAIEMENT_DIRECT RECAPITULATIF_COTRAITANCE"
)
SELF_BILLED = frozenset({"389", "501", "500", "471", "473", "261", "502"})
_CORRECTIVE = frozenset({"384", "471", "472", "473"})
_CREDIT_NOTES = frozenset({"261", "381", "396", "502", "503"})
_PREPAYMENT = frozenset({"386", "500", "503"})
_ALREADY_PAID = frozenset({"B2", "S2", "M2"})
_FINAL_AFTER_PREPAYMENT = frozenset({"B4", "S4", "M4"})
_BIDIRECTIONAL = frozenset({"B9", "S9", "M9"})


def fr_rule(rule_id: str) -> object:
    return rule(rule_id, table=FR_RULES)


def _fail(out: list[Finding], rule_id: str, path: str, fr: str, en: str, severity: Severity = Severity.FATAL) -> None:
    fail(out, rule_id, path, fr, en, severity=severity, source=_SOURCE)


def _framework(c: Ctx) -> str:
    process = c.inv.process
    return "" if process is None or process.business_process is None else process.business_process.strip()


def _bar(c: Ctx) -> list[str]:
    return [n.text.strip() for n in c.inv.notes if code(n.subject_code).strip() == "BAR"]


def _siren(ident: Identifier | None) -> str:
    """The SIREN of a legal registration, when its scheme says it is one (0002)."""
    if ident is None or code(ident.scheme).strip() != "0002":
        return ""
    return code(ident.value).strip()


# --- BR-FR-01 … BR-FR-04: numbers, dates, document types ---------------------------------------


@fr_rule("BR-FR-01")
def _fr_01(c: Ctx, out: list[Finding]) -> None:
    for path, value, bt in _references(c):
        if len(value) > 35:
            _fail(out, "BR-FR-01", path, f"Le numéro « {value} » ({bt}) dépasse 35 caractères.",
                  f"The number '{value}' ({bt}) is longer than 35 characters.")


@fr_rule("BR-FR-02")
def _fr_02(c: Ctx, out: list[Finding]) -> None:
    for path, value, bt in _references(c):
        if _ID_FORMAT.fullmatch(value):
            continue
        if not value:  # refused here too, as the official rule does
            _fail(out, "BR-FR-02", path, f"Le numéro ({bt}) est vide.", f"The number ({bt}) is empty.")
            continue
        _fail(out, "BR-FR-02", path,
              f"Le numéro « {value} » ({bt}) contient des caractères non autorisés : seuls les lettres, les "
              "chiffres et + - _ / sont admis, sans espace.",
              f"The number '{value}' ({bt}) contains forbidden characters: only letters, digits and + - _ / "
              "are allowed, without spaces.")


def _references(c: Ctx) -> list[tuple[str, str, str]]:
    refs = [("number", c.inv.number or "", "BT-1")]
    refs.extend((f"preceding_invoices[{i}].reference", p.reference or "", "BT-25")
                for i, p in enumerate(c.inv.preceding_invoices))
    return refs


def _dates(c: Ctx) -> list[tuple[str, date | None, str]]:
    inv = c.inv
    found: list[tuple[str, date | None, str]] = [
        ("issue_date", inv.issue_date, "BT-2"),
        ("tax_point_date", inv.tax_point_date, "BT-7"),
        ("due_date", inv.due_date, "BT-9"),
    ]
    found.extend((f"preceding_invoices[{i}].issue_date", p.issue_date, "BT-26")
                 for i, p in enumerate(inv.preceding_invoices))
    if inv.delivery is not None:
        found.append(("delivery.actual_date", inv.delivery.actual_date, "BT-72"))
    if inv.invoicing_period is not None:
        found.append(("invoicing_period.start", inv.invoicing_period.start, "BT-73"))
        found.append(("invoicing_period.end", inv.invoicing_period.end, "BT-74"))
    for i, line in enumerate(inv.lines):
        if line.period is not None:
            found.append((f"lines[{i}].period.start", line.period.start, "BT-134"))
            found.append((f"lines[{i}].period.end", line.period.end, "BT-135"))
    return found


@fr_rule("BR-FR-03")
def _fr_03(c: Ctx, out: list[Finding]) -> None:
    for path, value, bt in _dates(c):
        if value is not None and not 2000 <= value.year <= 2099:
            _fail(out, "BR-FR-03", path,
                  f"La date du {fr_date(value)} ({bt}) doit être comprise entre les années 2000 et 2099.",
                  f"The date {value.isoformat()} ({bt}) shall fall between the years 2000 and 2099.")


@fr_rule("BR-FR-04")
def _fr_04(c: Ctx, out: list[Finding]) -> None:
    value = code(c.inv.type_code).strip()
    allowed = "380, 389, 393, 501, 386, 500, 384, 471, 472, 473, 261, 262, 381, 396, 502, 503"
    if value not in DOCUMENT_TYPES:
        _fail(out, "BR-FR-04", "type_code",
              f"Le type de document « {value} » (BT-3) n'est pas autorisé en France. Codes admis : {allowed}.",
              f"The invoice type code '{value}' (BT-3) is not allowed in France. Allowed codes: {allowed}.")
    for i, preceding in enumerate(c.inv.preceding_invoices):
        value = code(preceding.type_code).strip()
        if value and value not in DOCUMENT_TYPES:
            _fail(out, "BR-FR-04", f"preceding_invoices[{i}].type_code",
                  f"Le type « {value} » de la facture antérieure n'est pas autorisé en France. Codes admis : "
                  f"{allowed}.",
                  f"The type code '{value}' of the preceding invoice is not allowed in France. Allowed codes: "
                  f"{allowed}.")


# --- BR-FR-05, 06, 20, 31: mandatory notes -------------------------------------------------------

_NOTE_NAMES = {
    "PMT": ("l'indemnité forfaitaire pour frais de recouvrement", "the fixed recovery fee"),
    "PMD": ("les pénalités de retard", "the late payment penalties"),
    "AAB": ("l'escompte pour paiement anticipé, ou son absence", "the early payment discount, or its absence"),
    "TXD": ("la mention fiscale", "the tax mention"),
}


@fr_rule("BR-FR-05")
def _fr_05(c: Ctx, out: list[Finding]) -> None:
    present = {code(n.subject_code).strip() for n in c.inv.notes}
    for subject in ("PMT", "PMD", "AAB"):
        if subject not in present:
            fr, en = _NOTE_NAMES[subject]
            _fail(out, "BR-FR-05", "notes",
                  f"La mention obligatoire sur {fr} manque : ajoutez une note (BG-1) de sujet {subject}.",
                  f"The mandatory mention of {en} is missing: add a note (BG-1) with subject code {subject}.")


@fr_rule("BR-FR-06")
def _fr_06(c: Ctx, out: list[Finding]) -> None:
    counts: dict[str, int] = {}
    for note in c.inv.notes:
        subject = code(note.subject_code).strip()
        counts[subject] = counts.get(subject, 0) + 1
    for subject in ("PMT", "PMD", "AAB", "TXD"):
        if counts.get(subject, 0) > 1:
            fr, en = _NOTE_NAMES[subject]
            _fail(out, "BR-FR-06", "notes",
                  f"La note de sujet {subject} ({fr}) ne doit figurer qu'une fois ; elle figure "
                  f"{counts[subject]} fois.",
                  f"The note with subject code {subject} ({en}) shall appear only once; it appears "
                  f"{counts[subject]} times.")


@fr_rule("BR-FR-20")
def _fr_20(c: Ctx, out: list[Finding]) -> None:
    for value in _bar(c):
        if value not in BAR_VALUES:
            _fail(out, "BR-FR-20", "notes",
                  f"La note de sujet BAR vaut « {value} » ; valeurs admises : B2B, B2BINT, B2C, B2CINT, OUTOFSCOPE, "
                  "ARCHIVEONLY.",
                  f"The BAR note is '{value}'; allowed values: B2B, B2BINT, B2C, B2CINT, OUTOFSCOPE, ARCHIVEONLY.")


@fr_rule("BR-FR-31")
def _fr_31(c: Ctx, out: list[Finding]) -> None:
    if sum(1 for value in _bar(c) if value in BAR_VALUES) > 1:
        _fail(out, "BR-FR-31", "notes",
              "Une seule note de sujet BAR (traitement de la facture) est admise.",
              "Only one BAR note (processing of the invoice) is allowed.")


# --- BR-FR-08, CO-07, CO-08, CO-09: billing framework (BT-23) -------------------------------------


@fr_rule("BR-FR-08")
def _fr_08(c: Ctx, out: list[Finding]) -> None:
    value = _framework(c)
    if value not in BILLING_FRAMEWORKS:
        shown = f"« {value} »" if value else "absent"
        _fail(out, "BR-FR-08", "process.business_process",
              f"Le cadre de facturation (BT-23) est obligatoire et doit être l'un des codes B1, S1, M1, B2, S2, M2, "
              f"S3, B4, S4, M4, S5, S6, B7, S7, B8, S8, M8, B9, S9, M9 (valeur : {shown}).",
              f"The billing framework (BT-23) is mandatory and shall be one of B1, S1, M1, B2, S2, M2, S3, B4, S4, "
              f"M4, S5, S6, B7, S7, B8, S8, M8, B9, S9, M9 (value: {value or 'missing'}).")


@fr_rule("BR-FR-CO-07")
def _fr_co_07(c: Ctx, out: list[Finding]) -> None:
    inv = c.inv
    if inv.due_date is None or inv.issue_date is None or inv.due_date >= inv.issue_date:
        return
    if code(inv.type_code).strip() in _PREPAYMENT or _framework(c) in _ALREADY_PAID:
        return
    _fail(out, "BR-FR-CO-07", "due_date",
          f"La date d'échéance (BT-9, {fr_date(inv.due_date)}) précède la date de facture (BT-2, "
          f"{fr_date(inv.issue_date)}).",
          f"The payment due date (BT-9, {inv.due_date}) is before the invoice date (BT-2, {inv.issue_date}).")


@fr_rule("BR-FR-CO-08")
def _fr_co_08(c: Ctx, out: list[Finding]) -> None:
    if _framework(c) in _FINAL_AFTER_PREPAYMENT and code(c.inv.type_code).strip() in _PREPAYMENT:
        _fail(out, "BR-FR-CO-08", "type_code",
              "Le cadre de facturation B4, S4 ou M4 (facture définitive après acompte) exclut les factures et avoirs "
              "d'acompte (386, 500, 503).",
              "The billing framework B4, S4 or M4 (final invoice after a prepayment) excludes prepayment invoices "
              "and credit notes (386, 500, 503).")


@fr_rule("BR-FR-CO-09")
def _fr_co_09(c: Ctx, out: list[Finding]) -> None:
    if _framework(c) not in _ALREADY_PAID:
        return
    t = c.inv.totals
    if t.prepaid is None or t.prepaid != t.tax_inclusive:
        _fail(out, "BR-FR-CO-09", "totals.prepaid",
              "Facture déjà payée (cadre B2, S2 ou M2) : le montant payé (BT-113) doit être égal au total TTC "
              f"(BT-112, {fr_num(t.tax_inclusive)}).",
              "Invoice already paid (framework B2, S2 or M2): the paid amount (BT-113) shall equal the total with "
              f"VAT (BT-112, {t.tax_inclusive}).")
    if t.amount_due != 0:
        _fail(out, "BR-FR-CO-09", "totals.amount_due",
              "Facture déjà payée (cadre B2, S2 ou M2) : le net à payer (BT-115) doit être 0.",
              "Invoice already paid (framework B2, S2 or M2): the amount due (BT-115) shall be 0.")
    if c.inv.due_date is None:
        _fail(out, "BR-FR-CO-09", "due_date",
              "Facture déjà payée (cadre B2, S2 ou M2) : indiquez la date du paiement comme date d'échéance (BT-9).",
              "Invoice already paid (framework B2, S2 or M2): give the payment date as the due date (BT-9).")


# --- BR-FR-09 … 13, 21 … 26, 32, CO-10, CO-14, CO-15: parties and addresses ------------------------


def _siret_check(out: list[Finding], path: str, siret: str, siren: str, party_fr: str, party_en: str) -> None:
    if not (_FOURTEEN_DIGITS.fullmatch(siret) and siret[:9] == siren):
        _fail(out, "BR-FR-09", path,
              f"Le SIRET {siret} ({party_fr}) doit compter 14 chiffres et commencer par le SIREN "
              f"{siren or '(absent)'}.",
              f"The SIRET {siret} ({party_en}) shall have 14 digits and start with the SIREN {siren or '(missing)'}.")


@fr_rule("BR-FR-09")
def _fr_09(c: Ctx, out: list[Finding]) -> None:
    inv = c.inv
    for path, ids, legal, fr, en in (
        ("seller.identifiers", inv.seller.identifiers, inv.seller.legal_registration, "vendeur", "seller"),
        ("buyer.identifiers", inv.buyer.identifiers, inv.buyer.legal_registration, "acheteur", "buyer"),
    ):
        for i, ident in enumerate(ids):
            if code(ident.scheme).strip() == "0009":
                _siret_check(out, f"{path}[{i}].value", code(ident.value).strip(), _siren(legal), fr, en)
                break  # the official rule checks the first SIRET only
    payee = inv.payee
    if payee is not None and payee.identifier is not None and code(payee.identifier.scheme).strip() == "0009":
        siret = payee.identifier.value.strip()
        _siret_check(out, "payee.identifier.value", siret, _siren(payee.legal_registration) or siret[:9],
                     "bénéficiaire", "payee")
    delivery = inv.delivery
    if delivery is not None and delivery.location_id is not None and code(delivery.location_id.scheme) == "0009":
        siret = delivery.location_id.value.strip()
        _siret_check(out, "delivery.location_id.value", siret, siret[:9], "lieu de livraison", "deliver to")


@lru_cache(maxsize=1024)
def _siren_valid(value: str) -> bool:
    return stdnum_siren.is_valid(value)


def _siren_checksum_warning(out: list[Finding], rule_id: str, path: str, value: str) -> None:
    if not _siren_valid(value):
        _fail(out, rule_id, path,
              f"Le SIREN {value} est invalide (clé de contrôle). Vérifiez les 9 chiffres.",
              f"The SIREN {value} is invalid (check digit). Check the 9 digits.", Severity.WARNING)


@fr_rule("BR-FR-10")
def _fr_10(c: Ctx, out: list[Finding]) -> None:
    value = _siren(c.inv.seller.legal_registration)
    if not _NINE_DIGITS.fullmatch(value):
        _fail(out, "BR-FR-10", "seller.legal_registration",
              "Le SIREN du vendeur (BT-30, schéma 0002) est obligatoire et compte exactement 9 chiffres"
              + (f" (valeur : « {value} »)." if value else "."),
              "The seller SIREN (BT-30, scheme 0002) is mandatory and has exactly 9 digits"
              + (f" (value: '{value}')." if value else "."))
    else:
        _siren_checksum_warning(out, "BR-FR-10", "seller.legal_registration", value)


@fr_rule("BR-FR-11")
def _fr_11(c: Ctx, out: list[Finding]) -> None:
    if "B2B" not in _bar(c):
        return
    value = _siren(c.inv.buyer.legal_registration)
    if not _NINE_DIGITS.fullmatch(value):
        _fail(out, "BR-FR-11", "buyer.legal_registration",
              "Facture entre entreprises (note BAR = B2B) : le SIREN de l'acheteur (BT-47, schéma 0002) est "
              "obligatoire et compte exactement 9 chiffres.",
              "Business-to-business invoice (BAR note B2B): the buyer SIREN (BT-47, scheme 0002) is mandatory and "
              "has exactly 9 digits.")
    else:
        _siren_checksum_warning(out, "BR-FR-11", "buyer.legal_registration", value)


@fr_rule("BR-FR-12")
def _fr_12(c: Ctx, out: list[Finding]) -> None:
    address = c.inv.buyer.electronic_address
    if address is None or blank(address.value):
        _fail(out, "BR-FR-12", "buyer.electronic_address",
              "L'adresse électronique de facturation de l'acheteur (BT-49) est obligatoire.",
              "The buyer electronic address (BT-49) is mandatory.")


@fr_rule("BR-FR-13")
def _fr_13(c: Ctx, out: list[Finding]) -> None:
    address = c.inv.seller.electronic_address
    if address is None or blank(address.value):
        _fail(out, "BR-FR-13", "seller.electronic_address",
              "L'adresse électronique de facturation du vendeur (BT-34) est obligatoire.",
              "The seller electronic address (BT-34) is mandatory.")


def _routing(out: list[Finding], rule_id: str, path: str, party, siren_ident, bt: str, fr: str, en: str) -> None:
    address = party.electronic_address
    siren = code(siren_ident.value).strip() if siren_ident is not None else ""
    value = code(address.value) if address is not None else ""
    scheme = code(address.scheme).strip() if address is not None else ""
    if not (value.startswith(siren) and scheme == "0225"):
        _fail(out, rule_id, path,
              f"{fr} : l'adresse électronique ({bt}) doit être du schéma 0225 et commencer par le SIREN "
              f"{siren} (valeur : « {value} », schéma « {scheme} »).",
              f"{en}: the electronic address ({bt}) shall use scheme 0225 and start with the SIREN {siren} "
              f"(value '{value}', scheme '{scheme}').")


@fr_rule("BR-FR-21")
def _fr_21(c: Ctx, out: list[Finding]) -> None:
    if "B2B" in _bar(c) and code(c.inv.type_code).strip() not in SELF_BILLED:
        _routing(out, "BR-FR-21", "buyer.electronic_address", c.inv.buyer, c.inv.buyer.legal_registration, "BT-49",
                 "Facture entre entreprises", "Business-to-business invoice")


@fr_rule("BR-FR-22")
def _fr_22(c: Ctx, out: list[Finding]) -> None:
    if "B2B" in _bar(c) and code(c.inv.type_code).strip() in SELF_BILLED:
        _routing(out, "BR-FR-22", "seller.electronic_address", c.inv.seller, c.inv.seller.legal_registration,
                 "BT-34", "Autofacture entre entreprises", "Self-billed business-to-business invoice")


def _addresses(c: Ctx):
    return (("seller.electronic_address.value", c.inv.seller.electronic_address, "BT-34"),
            ("buyer.electronic_address.value", c.inv.buyer.electronic_address, "BT-49"))


@fr_rule("BR-FR-23")
def _fr_23(c: Ctx, out: list[Finding]) -> None:
    for path, address, bt in _addresses(c):
        if address is not None and code(address.scheme).strip() == "0225" \
                and not _ADDRESS_FORMAT.fullmatch(code(address.value)):
            _fail(out, "BR-FR-23", path,
                  f"L'adresse électronique « {address.value} » ({bt}, schéma 0225) ne peut contenir que des lettres, "
                  "des chiffres et + - _ .",
                  f"The electronic address '{address.value}' ({bt}, scheme 0225) may only contain letters, digits "
                  "and + - _ .")


@fr_rule("BR-FR-25")
def _fr_25(c: Ctx, out: list[Finding]) -> None:
    for path, address, bt in _addresses(c):
        if address is not None and len(code(address.value)) > 125:
            _fail(out, "BR-FR-25", path,
                  f"L'adresse électronique ({bt}) dépasse 125 caractères.",
                  f"The electronic address ({bt}) is longer than 125 characters.")


def _party_ids(c: Ctx):
    return (("seller.identifiers", c.inv.seller.identifiers, "BT-29"),
            ("buyer.identifiers", c.inv.buyer.identifiers, "BT-46"))


@fr_rule("BR-FR-24")
def _fr_24(c: Ctx, out: list[Finding]) -> None:
    for path, ids, bt in _party_ids(c):
        for i, ident in enumerate(ids):
            if code(ident.scheme).strip() == "0224" and not _ADDRESS_FORMAT.fullmatch(ident.value):
                _fail(out, "BR-FR-24", f"{path}[{i}].value",
                      f"L'identifiant privé « {ident.value} » ({bt}, schéma 0224) ne peut contenir que des lettres, "
                      "des chiffres et + - _ .",
                      f"The private identifier '{ident.value}' ({bt}, scheme 0224) may only contain letters, digits "
                      "and + - _ .")


@fr_rule("BR-FR-26")
def _fr_26(c: Ctx, out: list[Finding]) -> None:
    for path, ids, bt in _party_ids(c):
        for i, ident in enumerate(ids):
            if code(ident.scheme).strip() == "0224" and len(ident.value) > 100:
                _fail(out, "BR-FR-26", f"{path}[{i}].value",
                      f"L'identifiant privé ({bt}, schéma 0224) dépasse 100 caractères.",
                      f"The private identifier ({bt}, scheme 0224) is longer than 100 characters.")


@fr_rule("BR-FR-32")
def _fr_32(c: Ctx, out: list[Finding]) -> None:
    inv = c.inv
    checked: list[tuple[str, Identifier | None, tuple[str, ...]]] = [
        ("seller.legal_registration", inv.seller.legal_registration, ("0002",)),
        ("buyer.legal_registration", inv.buyer.legal_registration, ("0002",)),
    ]
    global_ids = ("0002", "0231")
    checked.extend((f"seller.identifiers[{i}]", ident, global_ids) for i, ident in enumerate(inv.seller.identifiers))
    checked.extend((f"buyer.identifiers[{i}]", ident, global_ids) for i, ident in enumerate(inv.buyer.identifiers))
    if inv.payee is not None:
        checked.append(("payee.legal_registration", inv.payee.legal_registration, ("0002",)))
        checked.append(("payee.identifier", inv.payee.identifier, ("0002", "0231")))
    for path, ident, schemes in checked:
        if ident is None or code(ident.scheme).strip() not in schemes:
            continue
        if not _NINE_DIGITS.fullmatch(code(ident.value).strip()):
            _fail(out, "BR-FR-32", f"{path}.value",
                  f"L'identifiant « {ident.value} » (schéma {ident.scheme}) doit compter exactement 9 chiffres.",
                  f"The identifier '{ident.value}' (scheme {ident.scheme}) shall have exactly 9 digits.")


@fr_rule("BR-FR-CO-10")
def _fr_co_10(c: Ctx, out: list[Finding]) -> None:
    for path, ids, bt in _party_ids(c):
        schemes = [code(i.scheme).strip() for i in ids]
        if any(not s for s in schemes):
            # Fatal in UBL only: CII writes an identifier without scheme as ram:ID, which the rule ignores.
            _fail(out, "BR-FR-CO-10", path,
                  f"Chaque identifiant ({bt}) doit indiquer son schéma ({bt}-1), par exemple 0009 pour un SIRET.",
                  f"Each identifier ({bt}) shall give its scheme ({bt}-1), e.g. 0009 for a SIRET.",
                  Severity.WARNING)
        given = [s for s in schemes if s]
        if len(set(given)) != len(given):
            _fail(out, "BR-FR-CO-10", path,
                  f"Chaque schéma ne peut apparaître qu'une fois parmi les identifiants ({bt}).",
                  f"Each scheme may appear only once among the identifiers ({bt}).")


def _single_taxable_person(c: Ctx) -> bool:
    return any(code(i.scheme).strip() == "0231" for i in c.inv.seller.identifiers)


@fr_rule("BR-FR-CO-14")
def _fr_co_14(c: Ctx, out: list[Finding]) -> None:
    if _single_taxable_person(c) and not any(
        code(n.subject_code).strip() == "TXD" and n.text.strip() == "MEMBRE_ASSUJETTI_UNIQUE" for n in c.inv.notes
    ):
        _fail(out, "BR-FR-CO-14", "notes",
              "Le vendeur est membre d'un assujetti unique (schéma 0231) : ajoutez une note de sujet TXD "
              "« MEMBRE_ASSUJETTI_UNIQUE ».",
              "The seller is a member of a single taxable person (scheme 0231): add a TXD note "
              "'MEMBRE_ASSUJETTI_UNIQUE'.")


@fr_rule("BR-FR-CO-15")
def _fr_co_15(c: Ctx, out: list[Finding]) -> None:
    if _single_taxable_person(c) and not c.rep_vat:
        _fail(out, "BR-FR-CO-15", "tax_representative",
              "Le vendeur est membre d'un assujetti unique (schéma 0231) : indiquez le représentant fiscal (BG-11) "
              "avec le numéro de TVA de l'assujetti unique (BT-63).",
              "The seller is a member of a single taxable person (scheme 0231): give the tax representative "
              "(BG-11) with the VAT identifier of the single taxable person (BT-63).")


# --- BR-FR-15, 16: VAT categories and rates used in France ----------------------------------------


def _where_category(c: Ctx, cat: str) -> str:
    """The first place of the model that uses a VAT category."""
    if cat in c.lines_by_cat:
        return f"lines[{c.lines_by_cat[cat][0]}].vat.category"
    for i, ac in enumerate(c.inv.allowances_charges):
        if code(ac.vat_category) == cat:
            return f"allowances_charges[{i}].vat_category"
    if cat in c.breakdown_by_cat:
        return f"vat_breakdown[{c.breakdown_by_cat[cat][0]}].category"
    return "logistics_charges"


@fr_rule("BR-FR-15")
def _fr_15(c: Ctx, out: list[Finding]) -> None:
    for cat in sorted(c.categories - VAT_CATEGORIES):
        if not cat:
            # A line without category is only allowed on GROUP and INFORMATION lines (BR-CO-04 otherwise).
            continue
        _fail(out, "BR-FR-15", _where_category(c, cat),
              f"La catégorie de TVA « {cat} » n'est pas utilisable en France ; catégories admises : S, E, AE, K, G, "
              "O, Z.",
              f"VAT category '{cat}' cannot be used in France; allowed categories: S, E, AE, K, G, O, Z.")


@fr_rule("BR-FR-16")
def _fr_16(c: Ctx, out: list[Finding]) -> None:
    inv = c.inv
    rates: list[tuple[str, Decimal | None]] = [(f"allowances_charges[{i}].vat_rate", ac.vat_rate)
                                               for i, ac in enumerate(inv.allowances_charges)]
    rates.extend((f"vat_breakdown[{i}].rate", g.rate) for i, g in enumerate(inv.vat_breakdown))
    rates.extend((f"lines[{i}].vat.rate", line.vat.rate) for i, line in enumerate(inv.lines) if line.vat is not None)
    for path, rate in rates:
        if rate is not None and format(rate, "f") not in VAT_RATES:
            _fail(out, "BR-FR-16", path,
                  f"Le taux de TVA {fr_num(rate)} % n'est pas un taux applicable en France (20, 10, 5,5, 2,1, 0, et "
                  "les taux "
                  "des DOM et de la Corse).",
                  f"The VAT rate {rate}% is not a rate applicable in France (20, 10, 5.5, 2.1, 0, and the overseas "
                  "and Corsican rates).")


# --- BR-FR-17, 18: attachments --------------------------------------------------------------------


@fr_rule("BR-FR-17")
def _fr_17(c: Ctx, out: list[Finding]) -> None:
    for i, document in enumerate(c.inv.additional_documents):
        value = (document.description or "").strip()
        if value and value not in ATTACHMENT_CODES:
            _fail(out, "BR-FR-17", f"additional_documents[{i}].description",
                  f"La description « {value} » du justificatif (BT-123) doit être l'un des codes : "
                  + ", ".join(sorted(ATTACHMENT_CODES)) + ".",
                  f"The description '{value}' of the supporting document (BT-123) shall be one of the codes: "
                  + ", ".join(sorted(ATTACHMENT_CODES)) + ".")


@fr_rule("BR-FR-18")
def _fr_18(c: Ctx, out: list[Finding]) -> None:
    if sum(1 for d in c.inv.additional_documents if d.description == "LISIBLE") > 1:
        _fail(out, "BR-FR-18", "additional_documents",
              "Un seul justificatif peut porter la description LISIBLE (la version lisible de la facture).",
              "Only one supporting document may be described as LISIBLE (the readable copy of the invoice).")


# --- BR-FR-27 … 30: item attributes and invoiced objects --------------------------------------------


@fr_rule("BR-FR-27")
def _fr_27(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        for j, attribute in enumerate(line.item.attributes if line.item is not None else ()):
            if blank(attribute.name):
                _fail(out, "BR-FR-27", f"lines[{i}].item.attributes[{j}].name",
                      "Chaque attribut d'article (BG-32) doit avoir un nom (BT-160).",
                      "Each item attribute (BG-32) shall have a name (BT-160).")


@fr_rule("BR-FR-28")
def _fr_28(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        for j, attribute in enumerate(line.item.attributes if line.item is not None else ()):
            if blank(attribute.value):
                _fail(out, "BR-FR-28", f"lines[{i}].item.attributes[{j}].value",
                      "Chaque attribut d'article (BG-32) doit avoir une valeur (BT-161).",
                      "Each item attribute (BG-32) shall have a value (BT-161).")


def _object_id_rule(rule_id: str, c: Ctx, out: list[Finding], path: str, ident: Identifier | None) -> None:
    if ident is not None and code(ident.scheme).strip() in ("AFL", "AVV") and blank(ident.value):
        _fail(out, rule_id, path,
              f"L'identifiant d'objet facturé de schéma {ident.scheme} ne doit pas être vide.",
              f"The invoiced object identifier with scheme {ident.scheme} shall not be empty.")


@fr_rule("BR-FR-29")
def _fr_29(c: Ctx, out: list[Finding]) -> None:
    _object_id_rule("BR-FR-29", c, out, "invoiced_object.value", c.inv.invoiced_object)


@fr_rule("BR-FR-30")
def _fr_30(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        _object_id_rule("BR-FR-30", c, out, f"lines[{i}].object_id.value", line.object_id)


# --- BR-FR-CO-03, 04, 05: credit notes and corrections ---------------------------------------------


@fr_rule("BR-FR-CO-03")
def _fr_co_03(c: Ctx, out: list[Finding]) -> None:
    inv = c.inv
    if code(inv.type_code).strip() != "262":
        return
    period = inv.invoicing_period
    if blank(inv.contract_reference) or period is None or period.start is None or period.end is None:
        _fail(out, "BR-FR-CO-03", "contract_reference",
              "Avoir global (262) : indiquez le contrat (BT-12) et la période de facturation complète (BT-73, BT-74).",
              "Consolidated credit note (262): give the contract reference (BT-12) and the full invoicing period "
              "(BT-73, BT-74).")


@fr_rule("BR-FR-CO-04")
def _fr_co_04(c: Ctx, out: list[Finding]) -> None:
    count = len(c.inv.preceding_invoices)
    if code(c.inv.type_code).strip() in _CORRECTIVE and count != 1:
        _fail(out, "BR-FR-CO-04", "preceding_invoices",
              "Une facture rectificative doit citer une et une seule facture antérieure (BG-3) ; "
              f"elle en cite {count}.",
              f"A corrected invoice shall reference exactly one preceding invoice (BG-3); it references {count}.")


@fr_rule("BR-FR-CO-05")
def _fr_co_05(c: Ctx, out: list[Finding]) -> None:
    if code(c.inv.type_code).strip() not in _CREDIT_NOTES:
        return
    if not any(not blank(p.reference) and p.issue_date is not None for p in c.inv.preceding_invoices):
        _fail(out, "BR-FR-CO-05", "preceding_invoices",
              "Un avoir doit citer la facture qu'il corrige : son numéro (BT-25) et sa date (BT-26).",
              "A credit note shall reference the invoice it corrects: its number (BT-25) and date (BT-26).")


# --- BR-FR-CO-12: foreign currency ---------------------------------------------------------------


@fr_rule("BR-FR-CO-12")
def _fr_co_12(c: Ctx, out: list[Finding]) -> None:
    inv = c.inv
    if blank(inv.currency) or inv.currency.strip() == "EUR":
        return  # BR-05 when missing
    totals = inv.totals
    if inv.tax_currency != "EUR" or totals.tax_total_accounting is None or totals.tax_currency not in (None, "EUR"):
        _fail(out, "BR-FR-CO-12", "tax_currency",
              f"La facture est en {inv.currency} : la TVA doit être déclarée en euros — indiquez la devise de "
              "comptabilisation EUR (BT-6) et le montant total de TVA en euros (BT-111).",
              f"The invoice is in {inv.currency}: VAT shall be accounted in euros — give the VAT accounting "
              "currency EUR (BT-6) and the total VAT amount in euros (BT-111).")


# --- BR-FR-DEC-01 … 04: number formats ----------------------------------------------------------------


def _format_rule(rule_id: str, pattern: re.Pattern[str], limit: int, fr_what: str, en_what: str) -> RuleFn:
    def check(c: Ctx, out: list[Finding]) -> None:
        for path, value, bt in _VALUES[rule_id](c):
            if value is None:
                continue
            text = format(value, "f")
            if not pattern.fullmatch(text) or len(text) - ("." in text) > limit:
                _fail(out, rule_id, path,
                      f"La valeur {text} ({bt}) ne respecte pas le format : {fr_what}.",
                      f"The value {text} ({bt}) does not follow the format: {en_what}.")

    return check


def _amounts(c: Ctx) -> list[tuple[str, Decimal | None, str]]:
    inv, t = c.inv, c.inv.totals
    found: list[tuple[str, Decimal | None, str]] = []
    for i, ac in enumerate(inv.allowances_charges):
        found.append((f"allowances_charges[{i}].amount", ac.amount, "BT-99" if ac.is_charge else "BT-92"))
        found.append((f"allowances_charges[{i}].base_amount", ac.base_amount, "BT-100" if ac.is_charge else "BT-93"))
    for field, bt in (("line_net_total", "BT-106"), ("allowance_total", "BT-107"), ("charge_total", "BT-108"),
                      ("tax_exclusive", "BT-109"), ("tax_total", "BT-110"), ("tax_total_accounting", "BT-111"),
                      ("tax_inclusive", "BT-112"), ("prepaid", "BT-113"), ("rounding", "BT-114"),
                      ("amount_due", "BT-115")):
        found.append((f"totals.{field}", getattr(t, field), bt))
    for i, g in enumerate(inv.vat_breakdown):
        found.append((f"vat_breakdown[{i}].taxable_amount", g.taxable_amount, "BT-116"))
        found.append((f"vat_breakdown[{i}].tax_amount", g.tax_amount, "BT-117"))
    for i, line in enumerate(inv.lines):
        found.append((f"lines[{i}].net_amount", line.net_amount, "BT-131"))
        for j, ac in enumerate(line.allowances_charges):
            found.append((f"lines[{i}].allowances_charges[{j}].amount", ac.amount,
                          "BT-141" if ac.is_charge else "BT-136"))
            found.append((f"lines[{i}].allowances_charges[{j}].base_amount", ac.base_amount,
                          "BT-142" if ac.is_charge else "BT-137"))
    return found


def _quantities(c: Ctx) -> list[tuple[str, Decimal | None, str]]:
    found: list[tuple[str, Decimal | None, str]] = []
    for i, line in enumerate(c.inv.lines):
        found.append((f"lines[{i}].quantity", line.quantity, "BT-129"))
        if line.price is not None:
            found.append((f"lines[{i}].price.base_quantity", line.price.base_quantity, "BT-149"))
    return found


def _prices(c: Ctx) -> list[tuple[str, Decimal | None, str]]:
    found: list[tuple[str, Decimal | None, str]] = []
    for i, line in enumerate(c.inv.lines):
        price = line.price
        if price is not None:
            found.append((f"lines[{i}].price.net_price", price.net_price, "BT-146"))
            found.append((f"lines[{i}].price.discount", price.discount, "BT-147"))
            found.append((f"lines[{i}].price.gross_price", price.gross_price, "BT-148"))
    return found


def _rates(c: Ctx) -> list[tuple[str, Decimal | None, str]]:
    inv = c.inv
    found: list[tuple[str, Decimal | None, str]] = [
        (f"allowances_charges[{i}].vat_rate", ac.vat_rate, "BT-103" if ac.is_charge else "BT-96")
        for i, ac in enumerate(inv.allowances_charges)
    ]
    found.extend((f"vat_breakdown[{i}].rate", g.rate, "BT-119") for i, g in enumerate(inv.vat_breakdown))
    found.extend((f"lines[{i}].vat.rate", line.vat.rate, "BT-152") for i, line in enumerate(inv.lines)
                 if line.vat is not None)
    return found


_VALUES = {"BR-FR-DEC-01": _amounts, "BR-FR-DEC-02": _quantities, "BR-FR-DEC-03": _prices, "BR-FR-DEC-04": _rates}

fr_rule("BR-FR-DEC-01")(_format_rule(
    "BR-FR-DEC-01", _AMOUNT, 19, "au plus 2 décimales et 19 chiffres, point décimal",
    "at most 2 decimals and 19 digits, decimal point"))
fr_rule("BR-FR-DEC-02")(_format_rule(
    "BR-FR-DEC-02", _QUANTITY, 19, "au plus 4 décimales et 19 chiffres, point décimal",
    "at most 4 decimals and 19 digits, decimal point"))
fr_rule("BR-FR-DEC-04")(_format_rule(
    "BR-FR-DEC-04", _RATE, 4, "positif, au plus 2 décimales et 4 chiffres",
    "positive, at most 2 decimals and 4 digits"))


@fr_rule("BR-FR-DEC-03")
def _fr_dec_03(c: Ctx, out: list[Finding]) -> None:
    # Prices are positive, except in the bidirectional frameworks (B9, S9, M9).
    pattern = _SIGNED_PRICE if _framework(c) in _BIDIRECTIONAL else _PRICE
    for path, value, bt in _prices(c):
        if value is None:
            continue
        text = format(value, "f")
        if not pattern.fullmatch(text) or len(text) - ("." in text) > 19:
            _fail(out, "BR-FR-DEC-03", path,
                  f"Le prix {text} ({bt}) ne respecte pas le format : positif, au plus 6 décimales et 19 chiffres.",
                  f"The price {text} ({bt}) does not follow the format: positive, at most 6 decimals and 19 digits.")
