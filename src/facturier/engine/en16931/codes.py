"""Code lists of EN 16931 as used by Facturier, with French and English labels.

The enumerations cover the codes a French issuer chooses from; the frozensets at the end
hold the complete official lists used to check codes read from other systems. The lists
were extracted once from the official artefacts — the EN 16931 CII validation XSLT
1.3.16 (rules BR-CL-xx) and the Factur-X 1.09 code database — and kept as data here: the
engine never reads ../shared at run time. Where the two sources disagree, only the codes
accepted by both are listed, so that a document built from them passes both rule sets
(currencies: EN 16931 still has STD where Factur-X has STN; countries: EN 16931 still has
AN where Factur-X has SS; both codes of each pair are left out).
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache

from facturier.engine.errors import Message

__all__ = [
    "CHARGE_REASON_CODES",
    "COMMON_UNITS",
    "COUNTRY_CODES",
    "CURRENCY_CODES",
    "PAYMENT_MEANS_CODES",
    "UNIT_CODES",
    "AllowanceReasonCode",
    "ChargeReasonCode",
    "CodeEnum",
    "DocumentTypeCode",
    "PaymentMeansCode",
    "VatCategory",
    "VatExemptionCode",
    "is_country_code",
    "is_currency_code",
    "is_unit_code",
    "unit_label",
]


class CodeEnum(StrEnum):
    """A code-list value that can name itself in French and in English.

    Members are declared as ``NAME = "code", "libellé", "label"``; the value is the code.
    """

    def __new__(cls, code: str, fr: str = "", en: str = ""):
        member = str.__new__(cls, code)
        member._value_ = code
        member._message = Message(fr=fr or code, en=en or code)
        return member

    @property
    def message(self) -> Message:
        """The label in both languages."""
        return self._message

    def label(self, language: str = "fr") -> str:
        """The label in `language` ("fr…" gives French, anything else English)."""
        return self.message.in_language(language)


class VatCategory(CodeEnum):
    """BT-95 / BT-102 / BT-118 / BT-151 VAT category code (UNTDID 5305, EN 16931 subset).

    Members are named after their codes (`VatCategory.S`), as everyone in the trade says them.
    "B" (Italian split payment) is in EN 16931 but not in Factur-X, so it is left out.
    """

    S = "S", "Taux normal", "Standard rate"
    Z = "Z", "Taux zéro", "Zero rated goods"
    E = "E", "Exonéré de TVA", "Exempt from VAT"
    AE = "AE", "Autoliquidation", "VAT reverse charge"
    K = (
        "K",
        "Livraison intracommunautaire exonérée",
        "VAT exempt for EEA intra-community supply of goods and services",
    )
    G = "G", "Exportation hors UE exonérée", "Free export item, VAT not charged"
    O = "O", "Hors champ d'application de la TVA", "Services outside scope of tax"
    L = "L", "IGIC (îles Canaries)", "Canary Islands general indirect tax"
    M = (
        "M",
        "IPSI (Ceuta et Melilla)",
        "Tax for production, services and importation in Ceuta and Melilla",
    )

    @property
    def requires_exemption_reason(self) -> bool:
        """BT-120 or BT-121 is mandatory (BR-E-10, BR-AE-10, BR-IC-10, BR-G-10, BR-O-10)."""
        return self in _NEEDS_EXEMPTION_REASON

    @property
    def requires_zero_rate(self) -> bool:
        """The VAT rate must be 0 (BR-Z-05, BR-E-05, BR-AE-05, BR-IC-05, BR-G-05); O has none."""
        return self in _ZERO_RATE

    @property
    def has_rate(self) -> bool:
        """False for O: an item outside the scope of VAT carries no rate at all (BR-O-05)."""
        return self is not VatCategory.O


_NEEDS_EXEMPTION_REASON = frozenset({"E", "AE", "K", "G", "O"})
_ZERO_RATE = frozenset({"Z", "E", "AE", "K", "G", "O"})


class DocumentTypeCode(CodeEnum):
    """BT-3 Invoice type code (UNTDID 1001): the codes the French rule BR-FR-04 accepts."""

    COMMERCIAL_INVOICE = "380", "Facture", "Commercial invoice"
    CREDIT_NOTE = "381", "Avoir", "Credit note"
    CORRECTED_INVOICE = "384", "Facture rectificative", "Corrected invoice"
    PREPAYMENT_INVOICE = "386", "Facture d'acompte", "Prepayment invoice"
    SELF_BILLED_INVOICE = "389", "Autofacture", "Self-billed invoice"
    FACTORED_INVOICE = "393", "Facture affacturée", "Factored invoice"
    FACTORED_CREDIT_NOTE = "396", "Avoir affacturé", "Factored credit note"
    SELF_BILLED_CREDIT_NOTE = "261", "Avoir autofacturé", "Self billed credit note"
    CONSOLIDATED_CREDIT_NOTE = "262", "Avoir global", "Consolidated credit note - goods and services"
    SELF_BILLED_CORRECTED_INVOICE = "471", "Autofacture rectificative", "Self-billed corrected invoice"
    FACTORED_CORRECTED_INVOICE = "472", "Facture rectificative affacturée", "Factored corrected invoice"
    SELF_BILLED_FACTORED_CORRECTED_INVOICE = (
        "473",
        "Autofacture rectificative affacturée",
        "Self-billed factored corrected invoice",
    )
    SELF_BILLED_PREPAYMENT_INVOICE = "500", "Autofacture d'acompte", "Self-billed prepayment invoice"
    SELF_BILLED_FACTORED_INVOICE = "501", "Autofacture affacturée", "Self-billed factored invoice"
    SELF_BILLED_FACTORED_CREDIT_NOTE = (
        "502",
        "Avoir autofacturé affacturé",
        "Self-billed factored credit note",
    )
    PREPAYMENT_CREDIT_NOTE = "503", "Avoir sur facture d'acompte", "Prepayment invoice credit note"

    @property
    def is_credit_note(self) -> bool:
        """A credit note: the UBL syntax writes it as a CreditNote document."""
        return self.value in {"381", "261", "262", "396", "502", "503"}

    @property
    def is_self_billed(self) -> bool:
        """Issued by the buyer on the seller's behalf (the list used by BR-FR-21/22)."""
        return self.value in {"389", "501", "500", "471", "473", "261", "502"}

    @property
    def is_corrective(self) -> bool:
        """Needs exactly one preceding invoice reference (BR-FR-CO-04)."""
        return self.value in {"384", "471", "472", "473"}


class PaymentMeansCode(CodeEnum):
    """BT-81 Payment means type code (UNTDID 4461): the ones French invoices use.

    The complete list accepted by BR-CL-16 is `PAYMENT_MEANS_CODES`.
    """

    NOT_DEFINED = "1", "Moyen non défini", "Instrument not defined"
    CASH = "10", "Espèces", "In cash"
    CHEQUE = "20", "Chèque", "Cheque"
    CREDIT_TRANSFER = "30", "Virement", "Credit transfer"
    DEBIT_TRANSFER = "31", "Virement (ordre de débit)", "Debit transfer"
    BANK_ACCOUNT = "42", "Paiement sur compte bancaire", "Payment to bank account"
    BANK_CARD = "48", "Carte bancaire", "Bank card"
    DIRECT_DEBIT = "49", "Prélèvement", "Direct debit"
    STANDING_AGREEMENT = "57", "Ordre permanent", "Standing agreement"
    SEPA_CREDIT_TRANSFER = "58", "Virement SEPA", "SEPA credit transfer"
    SEPA_DIRECT_DEBIT = "59", "Prélèvement SEPA", "SEPA direct debit"
    CLEARING = "97", "Compensation entre partenaires", "Clearing between partners"
    MUTUALLY_DEFINED = "ZZZ", "Moyen convenu entre les parties", "Mutually defined"


class AllowanceReasonCode(CodeEnum):
    """BT-98 / BT-140 Allowance reason code (UNTDID 5189, the full list of BR-CL-19)."""

    BONUS_AHEAD_OF_SCHEDULE = "41", "Prime pour travaux en avance", "Bonus for works ahead of schedule"
    OTHER_BONUS = "42", "Autre prime", "Other bonus"
    MANUFACTURER_CONSUMER_DISCOUNT = (
        "60",
        "Remise consommateur du fabricant",
        "Manufacturer's consumer discount",
    )
    MILITARY_STATUS = "62", "Remise liée au statut militaire", "Due to military status"
    WORK_ACCIDENT = "63", "Remise liée à un accident du travail", "Due to work accident"
    SPECIAL_AGREEMENT = "64", "Accord particulier", "Special agreement"
    PRODUCTION_ERROR = "65", "Remise pour défaut de production", "Production error discount"
    NEW_OUTLET = "66", "Remise nouveau point de vente", "New outlet discount"
    SAMPLE = "67", "Remise sur échantillon", "Sample discount"
    END_OF_RANGE = "68", "Remise de fin de série", "End-of-range discount"
    INCOTERM = "70", "Remise Incoterm", "Incoterm discount"
    POINT_OF_SALE_THRESHOLD = (
        "71",
        "Remise au seuil de point de vente",
        "Point of sales threshold allowance",
    )
    MATERIAL_SURCHARGE_DEDUCTION = "88", "Majoration ou déduction matière", "Material surcharge/deduction"
    DISCOUNT = "95", "Remise", "Discount"
    SPECIAL_REBATE = "100", "Ristourne spéciale", "Special rebate"
    FIXED_LONG_TERM = "102", "Remise fixe à long terme", "Fixed long term"
    TEMPORARY = "103", "Remise temporaire", "Temporary"
    STANDARD = "104", "Remise standard", "Standard"
    YEARLY_TURNOVER = "105", "Ristourne sur chiffre d'affaires annuel", "Yearly turnover"


class ChargeReasonCode(CodeEnum):
    """BT-105 / BT-145 Charge reason code (UNTDID 7161): a useful subset.

    The complete list accepted by BR-CL-20 is `CHARGE_REASON_CODES`.
    """

    ADVERTISING = "AA", "Publicité", "Advertising"
    TELECOMMUNICATION = "AAA", "Télécommunication", "Telecommunication"
    MISCELLANEOUS = "ABK", "Frais divers", "Miscellaneous"
    ADDITIONAL_PACKAGING = "ABL", "Emballage supplémentaire", "Additional packaging"
    SHIPPING = "ADK", "Expédition", "Shipping"
    OTHER_SERVICES = "ADR", "Autres services", "Other services"
    DELIVERY = "DL", "Livraison", "Delivery"
    FREIGHT = "FC", "Fret", "Freight service"
    FINANCING = "FI", "Frais financiers", "Financing"
    LABELLING = "LA", "Étiquetage", "Labelling"
    PACKING = "PC", "Emballage", "Packing"
    SHIPPING_AND_HANDLING = "SAA", "Expédition et manutention", "Shipping and handling"
    MUTUALLY_DEFINED = "ZZZ", "Frais convenus entre les parties", "Mutually defined"


class VatExemptionCode(CodeEnum):
    """BT-121 VAT exemption reason code (CEF VATEX, the full list of BR-CL-22).

    The French labels are the mentions an invoice prints (BT-120); the English ones follow
    the VATEX list's wording.
    """

    EU_79_C = "VATEX-EU-79-C"
    EU_132 = "VATEX-EU-132"
    EU_132_1A = "VATEX-EU-132-1A"
    EU_132_1B = "VATEX-EU-132-1B"
    EU_132_1C = "VATEX-EU-132-1C"
    EU_132_1D = "VATEX-EU-132-1D"
    EU_132_1E = "VATEX-EU-132-1E"
    EU_132_1F = "VATEX-EU-132-1F"
    EU_132_1G = "VATEX-EU-132-1G"
    EU_132_1H = "VATEX-EU-132-1H"
    EU_132_1I = "VATEX-EU-132-1I"
    EU_132_1J = "VATEX-EU-132-1J"
    EU_132_1K = "VATEX-EU-132-1K"
    EU_132_1L = "VATEX-EU-132-1L"
    EU_132_1M = "VATEX-EU-132-1M"
    EU_132_1N = "VATEX-EU-132-1N"
    EU_132_1O = "VATEX-EU-132-1O"
    EU_132_1P = "VATEX-EU-132-1P"
    EU_132_1Q = "VATEX-EU-132-1Q"
    EU_135_1 = "VATEX-EU-135-1"
    EU_143 = "VATEX-EU-143"
    EU_143_1A = "VATEX-EU-143-1A"
    EU_143_1B = "VATEX-EU-143-1B"
    EU_143_1C = "VATEX-EU-143-1C"
    EU_143_1D = "VATEX-EU-143-1D"
    EU_143_1E = "VATEX-EU-143-1E"
    EU_143_1F = "VATEX-EU-143-1F"
    EU_143_1FA = "VATEX-EU-143-1FA"
    EU_143_1G = "VATEX-EU-143-1G"
    EU_143_1H = "VATEX-EU-143-1H"
    EU_143_1I = "VATEX-EU-143-1I"
    EU_143_1J = "VATEX-EU-143-1J"
    EU_143_1K = "VATEX-EU-143-1K"
    EU_143_1L = "VATEX-EU-143-1L"
    EU_144 = "VATEX-EU-144"
    EU_146_1E = "VATEX-EU-146-1E"
    EU_148 = "VATEX-EU-148"
    EU_148_A = "VATEX-EU-148-A"
    EU_148_B = "VATEX-EU-148-B"
    EU_148_C = "VATEX-EU-148-C"
    EU_148_D = "VATEX-EU-148-D"
    EU_148_E = "VATEX-EU-148-E"
    EU_148_F = "VATEX-EU-148-F"
    EU_148_G = "VATEX-EU-148-G"
    EU_151 = "VATEX-EU-151"
    EU_151_1A = "VATEX-EU-151-1A"
    EU_151_1AA = "VATEX-EU-151-1AA"
    EU_151_1B = "VATEX-EU-151-1B"
    EU_151_1C = "VATEX-EU-151-1C"
    EU_151_1D = "VATEX-EU-151-1D"
    EU_151_1E = "VATEX-EU-151-1E"
    EU_153 = "VATEX-EU-153"
    EU_159 = "VATEX-EU-159"
    EU_309 = "VATEX-EU-309"
    EU_AE = "VATEX-EU-AE"
    EU_D = "VATEX-EU-D"
    EU_F = "VATEX-EU-F"
    EU_G = "VATEX-EU-G"
    EU_I = "VATEX-EU-I"
    EU_IC = "VATEX-EU-IC"
    EU_J = "VATEX-EU-J"
    EU_O = "VATEX-EU-O"
    FR_298SEXDECIESA = "VATEX-FR-298SEXDECIESA"
    FR_AE = "VATEX-FR-AE"
    FR_CGI261_1 = "VATEX-FR-CGI261-1"
    FR_CGI261_2 = "VATEX-FR-CGI261-2"
    FR_CGI261_3 = "VATEX-FR-CGI261-3"
    FR_CGI261_4 = "VATEX-FR-CGI261-4"
    FR_CGI261_5 = "VATEX-FR-CGI261-5"
    FR_CGI261_7 = "VATEX-FR-CGI261-7"
    FR_CGI261_8 = "VATEX-FR-CGI261-8"
    FR_CGI261A = "VATEX-FR-CGI261A"
    FR_CGI261B = "VATEX-FR-CGI261B"
    FR_CGI261C_1 = "VATEX-FR-CGI261C-1"
    FR_CGI261C_2 = "VATEX-FR-CGI261C-2"
    FR_CGI261C_3 = "VATEX-FR-CGI261C-3"
    FR_CGI261D_1 = "VATEX-FR-CGI261D-1"
    FR_CGI261D_1BIS = "VATEX-FR-CGI261D-1BIS"
    FR_CGI261D_2 = "VATEX-FR-CGI261D-2"
    FR_CGI261D_3 = "VATEX-FR-CGI261D-3"
    FR_CGI261D_4 = "VATEX-FR-CGI261D-4"
    FR_CGI261E_1 = "VATEX-FR-CGI261E-1"
    FR_CGI261E_2 = "VATEX-FR-CGI261E-2"
    FR_CGI275 = "VATEX-FR-CGI275"
    FR_CGI277A = "VATEX-FR-CGI277A"
    FR_CGI295 = "VATEX-FR-CGI295"
    FR_CNWVAT = "VATEX-FR-CNWVAT"
    FR_FRANCHISE = "VATEX-FR-FRANCHISE"

    @property
    def message(self) -> Message:
        return _vatex_message(self.value)


_VATEX_SPECIAL: dict[str, Message] = {
    "VATEX-EU-79-C": Message(
        fr="Débours exclus de la base d'imposition, article 79, point c), de la directive 2006/112/CE",
        en="Exempt based on article 79, point c of Council Directive 2006/112/EC",
    ),
    "VATEX-EU-AE": Message(fr="Autoliquidation", en="Reverse charge"),
    "VATEX-EU-D": Message(
        fr="Régime particulier — moyens de transport d'occasion",
        en="Intra-Community acquisition from second hand means of transport",
    ),
    "VATEX-EU-F": Message(
        fr="Régime particulier — biens d'occasion",
        en="Intra-Community acquisition of second hand goods",
    ),
    "VATEX-EU-G": Message(fr="Exportation hors de l'Union européenne", en="Export outside the EU"),
    "VATEX-EU-I": Message(
        fr="Régime particulier — objets d'art",
        en="Intra-Community acquisition of works of art",
    ),
    "VATEX-EU-IC": Message(fr="Livraison intracommunautaire", en="Intra-Community supply"),
    "VATEX-EU-J": Message(
        fr="Régime particulier — objets de collection et d'antiquité",
        en="Intra-Community acquisition of collectors items and antiques",
    ),
    "VATEX-EU-O": Message(fr="Non soumis à la TVA", en="Not subject to VAT"),
    "VATEX-FR-AE": Message(fr="Autoliquidation (droit français)", en="Reverse charge (French law)"),
    "VATEX-FR-FRANCHISE": Message(
        fr="TVA non applicable, article 293 B du CGI (franchise en base)",
        en="France domestic VAT franchise in base",
    ),
    "VATEX-FR-CNWVAT": Message(
        fr="Avoir sans TVA : le fournisseur renonce à régulariser la TVA de la remise",
        en="France domestic credit note without VAT, due to supplier forfeit of VAT for discount",
    ),
    "VATEX-FR-298SEXDECIESA": Message(
        fr="Exonération de TVA, article 298 sexdecies A du CGI",
        en="Exempt based on article 298 sexdecies A of the French General Tax Code (CGI)",
    ),
}

# VATEX-EU-<article>[-<paragraph><point>] (132-1A, 148-A, 135-1) and
# VATEX-FR-CGI<article>[<letter>][-<paragraph>[BIS]] (261D-1BIS, 275).
_EU_ARTICLE = re.compile(r"VATEX-EU-(\d+)(?:-(\d*)([A-Z]*))?")
_FR_ARTICLE = re.compile(r"VATEX-FR-CGI(\d+)([A-Z]?)(?:-(\d+)(BIS)?)?")


@cache
def _vatex_message(code: str) -> Message:
    if code in _VATEX_SPECIAL:
        return _VATEX_SPECIAL[code]
    if m := _EU_ARTICLE.fullmatch(code):
        article, paragraph, point = m.groups()
        fr_ref, en_ref = f"article {article}", f"article {article}"
        if paragraph:
            fr_ref += f", paragraphe {paragraph}"
            en_ref += f"({paragraph})"
        if point:
            fr_ref += f", point {point.lower()})"
            en_ref += f"({point.lower()})"
        if paragraph or point:
            fr_ref += ","
        return Message(
            fr=f"Exonération de TVA, {fr_ref} de la directive 2006/112/CE",
            en=f"Exempt based on {en_ref} of Council Directive 2006/112/EC",
        )
    if m := _FR_ARTICLE.fullmatch(code):
        article, letter, paragraph, bis = m.groups()
        ref = f"{article} {letter}".strip()
        fr_ref, en_ref = ref, ref
        if paragraph:
            fr_ref += f", {paragraph}°" + (" bis" if bis else "")
            en_ref += f"-{paragraph}" + (" bis" if bis else "")
        return Message(
            fr=f"Exonération de TVA, article {fr_ref} du CGI",
            en=f"Exempt based on article {en_ref} of the French General Tax Code (CGI)",
        )
    return Message(fr=code, en=code)  # pragma: no cover - every listed code matches above


COMMON_UNITS: dict[str, Message] = {
    # BT-130 units a French issuer picks from a short list; any code of UNIT_CODES is valid.
    "C62": Message(fr="unité", en="unit"),
    "H87": Message(fr="pièce", en="piece"),
    "XPP": Message(fr="pièce (conditionnement)", en="piece (package)"),
    "SET": Message(fr="lot", en="set"),
    "LS": Message(fr="forfait", en="lump sum"),
    "E48": Message(fr="unité de service", en="service unit"),
    "MIN": Message(fr="minute", en="minute"),
    "HUR": Message(fr="heure", en="hour"),
    "DAY": Message(fr="jour", en="day"),
    "WEE": Message(fr="semaine", en="week"),
    "MON": Message(fr="mois", en="month"),
    "ANN": Message(fr="an", en="year"),
    "KGM": Message(fr="kilogramme", en="kilogram"),
    "TNE": Message(fr="tonne", en="tonne"),
    "MTR": Message(fr="mètre", en="metre"),
    "KMT": Message(fr="kilomètre", en="kilometre"),
    "MTK": Message(fr="mètre carré", en="square metre"),
    "MTQ": Message(fr="mètre cube", en="cubic metre"),
    "LTR": Message(fr="litre", en="litre"),
}


def unit_label(code: str, language: str = "fr") -> str:
    """A readable name for a BT-130 unit code; the code itself for the uncommon ones."""
    message = COMMON_UNITS.get(code)
    return message.in_language(language) if message else code


def is_unit_code(code: str) -> bool:
    """BR-CL-23: the code is in UN/ECE Recommendation 20 (with the Rec 21 extension)."""
    return code in UNIT_CODES


def is_currency_code(code: str) -> bool:
    """BR-CL-03/04/05: the code is an ISO 4217 alpha-3 currency code."""
    return code in CURRENCY_CODES


def is_country_code(code: str) -> bool:
    """BR-CL-14/15: the code is an ISO 3166-1 alpha-2 country code (or 1A, Kosovo)."""
    return code in COUNTRY_CODES


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- Official lists (generated data, see the module docstring) -----------------------------

# BR-CL-23: UN/ECE Rec 20 with the Rec 21 extension.
UNIT_CODES: frozenset[str] = _codes(
    "10 11 13 14 15 1I 20 21 22 23 24 25 27 28 2A 2B 2C 2G 2H 2I 2J 2K 2L 2M 2N 2P 2Q 2R 2U 2X 2Y 2Z "
    "33 34 35 37 38 3B 3C 40 41 4C 4G 4H 4K 4L 4M 4N 4O 4P 4Q 4R 4T 4U 4W 4X 56 57 58 59 5A 5B 5E 5J "
    "60 61 74 77 80 81 85 87 89 91 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A2 A20 A21 A22 A23 A24 A26 "
    "A27 A28 A29 A3 A30 A31 A32 A33 A34 A35 A36 A37 A38 A39 A4 A40 A41 A42 A43 A44 A45 A47 A48 A49 A5 "
    "A53 A54 A55 A56 A59 A6 A68 A69 A7 A70 A71 A73 A74 A75 A76 A8 A84 A85 A86 A87 A88 A89 A9 A90 A91 "
    "A93 A94 A95 A96 A97 A98 A99 AA AB ACR ACT AD AE AH AI AK AL AMH AMP ANN APZ AQ AS ASM ASU ATM "
    "AWG AY AZ B1 B10 B11 B12 B13 B14 B15 B16 B17 B18 B19 B20 B21 B22 B23 B24 B25 B26 B27 B28 B29 B3 "
    "B30 B31 B32 B33 B34 B35 B4 B41 B42 B43 B44 B45 B46 B47 B48 B49 B50 B52 B53 B54 B55 B56 B57 B58 "
    "B59 B60 B61 B62 B63 B64 B66 B67 B68 B69 B7 B70 B71 B72 B73 B74 B75 B76 B77 B78 B79 B8 B80 B81 "
    "B82 B83 B84 B85 B86 B87 B88 B89 B90 B91 B92 B93 B94 B95 B96 B97 B98 B99 BAR BB BFT BHP BIL BLD "
    "BLL BP BPM BQL BTU BUA BUI C0 C10 C11 C12 C13 C14 C15 C16 C17 C18 C19 C20 C21 C22 C23 C24 C25 "
    "C26 C27 C28 C29 C3 C30 C31 C32 C33 C34 C35 C36 C37 C38 C39 C40 C41 C42 C43 C44 C45 C46 C47 C48 "
    "C49 C50 C51 C52 C53 C54 C55 C56 C57 C58 C59 C60 C61 C62 C63 C64 C65 C66 C67 C68 C69 C7 C70 C71 "
    "C72 C73 C74 C75 C76 C78 C79 C8 C80 C81 C82 C83 C84 C85 C86 C87 C88 C89 C9 C90 C91 C92 C93 C94 "
    "C95 C96 C97 C99 CCT CDL CEL CEN CG CGM CKG CLF CLT CMK CMQ CMT CNP CNT COU CTG CTM CTN CUR CWA "
    "CWI D03 D04 D1 D10 D11 D12 D13 D15 D16 D17 D18 D19 D2 D20 D21 D22 D23 D24 D25 D26 D27 D29 D30 "
    "D31 D32 D33 D34 D36 D41 D42 D43 D44 D45 D46 D47 D48 D49 D5 D50 D51 D52 D53 D54 D55 D56 D57 D58 "
    "D59 D6 D60 D61 D62 D63 D65 D68 D69 D73 D74 D77 D78 D80 D81 D82 D83 D85 D86 D87 D88 D89 D91 D93 "
    "D94 D95 DAA DAD DAY DB DBM DBW DD DEC DG DJ DLT DMA DMK DMO DMQ DMT DN DPC DPR DPT DRA DRI DRL "
    "DT DTN DWT DZN DZP E01 E07 E08 E09 E10 E12 E14 E15 E16 E17 E18 E19 E20 E21 E22 E23 E25 E27 E28 "
    "E30 E31 E32 E33 E34 E35 E36 E37 E38 E39 E4 E40 E41 E42 E43 E44 E45 E46 E47 E48 E49 E50 E51 E52 "
    "E53 E54 E55 E56 E57 E58 E59 E60 E61 E62 E63 E64 E65 E66 E67 E68 E69 E70 E71 E72 E73 E74 E75 E76 "
    "E77 E78 E79 E80 E81 E82 E83 E84 E85 E86 E87 E88 E89 E90 E91 E92 E93 E94 E95 E96 E97 E98 E99 EA "
    "EB EQ F01 F02 F03 F04 F05 F06 F07 F08 F10 F11 F12 F13 F14 F15 F16 F17 F18 F19 F20 F21 F22 F23 "
    "F24 F25 F26 F27 F28 F29 F30 F31 F32 F33 F34 F35 F36 F37 F38 F39 F40 F41 F42 F43 F44 F45 F46 F47 "
    "F48 F49 F50 F51 F52 F53 F54 F55 F56 F57 F58 F59 F60 F61 F62 F63 F64 F65 F66 F67 F68 F69 F70 F71 "
    "F72 F73 F74 F75 F76 F77 F78 F79 F80 F81 F82 F83 F84 F85 F86 F87 F88 F89 F90 F91 F92 F93 F94 F95 "
    "F96 F97 F98 F99 FAH FAR FBM FC FF FH FIT FL FNU FOT FP FR FS FTK FTQ G01 G04 G05 G06 G08 G09 G10 "
    "G11 G12 G13 G14 G15 G16 G17 G18 G19 G2 G20 G21 G23 G24 G25 G26 G27 G28 G29 G3 G30 G31 G32 G33 "
    "G34 G35 G36 G37 G38 G39 G40 G41 G42 G43 G44 G45 G46 G47 G48 G49 G50 G51 G52 G53 G54 G55 G56 G57 "
    "G58 G59 G60 G61 G62 G63 G64 G65 G66 G67 G68 G69 G70 G71 G72 G73 G74 G75 G76 G77 G78 G79 G80 G81 "
    "G82 G83 G84 G85 G86 G87 G88 G89 G90 G91 G92 G93 G94 G95 G96 G97 G98 G99 GB GBQ GDW GE GF GFI GGR "
    "GIA GIC GII GIP GJ GL GLD GLI GLL GM GO GP GQ GRM GRN GRO GV GWH H03 H04 H05 H06 H07 H08 H09 H10 "
    "H11 H12 H13 H14 H15 H16 H18 H19 H20 H21 H22 H23 H24 H25 H26 H27 H28 H29 H30 H31 H32 H33 H34 H35 "
    "H36 H37 H38 H39 H40 H41 H42 H43 H44 H45 H46 H47 H48 H49 H50 H51 H52 H53 H54 H55 H56 H57 H58 H59 "
    "H60 H61 H62 H63 H64 H65 H66 H67 H68 H69 H70 H71 H72 H73 H74 H75 H76 H77 H79 H80 H81 H82 H83 H84 "
    "H85 H87 H88 H89 H90 H91 H92 H93 H94 H95 H96 H98 H99 HA HAD HBA HBX HC HDW HEA HGM HH HIU HKM HLT "
    "HM HMO HMQ HMT HPA HTZ HUR HWE IA IE INH INK INQ ISD IU IUG IV J10 J12 J13 J14 J15 J16 J17 J18 "
    "J19 J2 J20 J21 J22 J23 J24 J25 J26 J27 J28 J29 J30 J31 J32 J33 J34 J35 J36 J38 J39 J40 J41 J42 "
    "J43 J44 J45 J46 J47 J48 J49 J50 J51 J52 J53 J54 J55 J56 J57 J58 J59 J60 J61 J62 J63 J64 J65 J66 "
    "J67 J68 J69 J70 J71 J72 J73 J74 J75 J76 J78 J79 J81 J82 J83 J84 J85 J87 J90 J91 J92 J93 J95 J96 "
    "J97 J98 J99 JE JK JM JNT JOU JPS JWL K1 K10 K11 K12 K13 K14 K15 K16 K17 K18 K19 K2 K20 K21 K22 "
    "K23 K26 K27 K28 K3 K30 K31 K32 K33 K34 K35 K36 K37 K38 K39 K40 K41 K42 K43 K45 K46 K47 K48 K49 "
    "K50 K51 K52 K53 K54 K55 K58 K59 K6 K60 K61 K62 K63 K64 K65 K66 K67 K68 K69 K70 K71 K73 K74 K75 "
    "K76 K77 K78 K79 K80 K81 K82 K83 K84 K85 K86 K87 K88 K89 K90 K91 K92 K93 K94 K95 K96 K97 K98 K99 "
    "KA KAT KB KBA KCC KDW KEL KGM KGS KHY KHZ KI KIC KIP KJ KJO KL KLK KLX KMA KMH KMK KMQ KMT KNI "
    "KNM KNS KNT KO KPA KPH KPO KPP KR KSD KSH KT KTN KUR KVA KVR KVT KW KWH KWN KWO KWS KWT KWY KX "
    "L10 L11 L12 L13 L14 L15 L16 L17 L18 L19 L2 L20 L21 L23 L24 L25 L26 L27 L28 L29 L30 L31 L32 L33 "
    "L34 L35 L36 L37 L38 L39 L40 L41 L42 L43 L44 L45 L46 L47 L48 L49 L50 L51 L52 L53 L54 L55 L56 L57 "
    "L58 L59 L60 L63 L64 L65 L66 L67 L68 L69 L70 L71 L72 L73 L74 L75 L76 L77 L78 L79 L80 L81 L82 L83 "
    "L84 L85 L86 L87 L88 L89 L90 L91 L92 L93 L94 L95 L96 L98 L99 LA LAC LBR LBT LD LEF LF LH LK LM LN "
    "LO LP LPA LR LS LTN LTR LUB LUM LUX LY M1 M10 M11 M12 M13 M14 M15 M16 M17 M18 M19 M20 M21 M22 "
    "M23 M24 M25 M26 M27 M29 M30 M31 M32 M33 M34 M35 M36 M37 M38 M39 M4 M40 M41 M42 M43 M44 M45 M46 "
    "M47 M48 M49 M5 M50 M51 M52 M53 M55 M56 M57 M58 M59 M60 M61 M62 M63 M64 M65 M66 M67 M68 M69 M7 "
    "M70 M71 M72 M73 M74 M75 M76 M77 M78 M79 M80 M81 M82 M83 M84 M85 M86 M87 M88 M89 M9 M90 M91 M92 "
    "M93 M94 M95 M96 M97 M98 M99 MAH MAL MAM MAR MAW MBE MBF MBR MC MCU MD MGM MHZ MIK MIL MIN MIO "
    "MIU MKD MKM MKW MLD MLT MMK MMQ MMT MND MNJ MON MPA MQD MQH MQM MQS MQW MRD MRM MRW MSK MTK MTQ "
    "MTR MTS MTZ MVA MWH N1 N10 N11 N12 N13 N14 N15 N16 N17 N18 N19 N20 N21 N22 N23 N24 N25 N26 N27 "
    "N28 N29 N3 N30 N31 N32 N33 N34 N35 N36 N37 N38 N39 N40 N41 N42 N43 N44 N45 N46 N47 N48 N49 N50 "
    "N51 N52 N53 N54 N55 N56 N57 N58 N59 N60 N61 N62 N63 N64 N65 N66 N67 N68 N69 N70 N71 N72 N73 N74 "
    "N75 N76 N77 N78 N79 N80 N81 N82 N83 N84 N85 N86 N87 N88 N89 N90 N91 N92 N93 N94 N95 N96 N97 N98 "
    "N99 NA NAR NCL NEW NF NIL NIU NL NM3 NMI NMP NPT NT NTU NU NX OA ODE ODG ODK ODM OHM ON ONZ OPM "
    "OT OZA OZI P1 P10 P11 P12 P13 P14 P15 P16 P17 P18 P19 P2 P20 P21 P22 P23 P24 P25 P26 P27 P28 P29 "
    "P30 P31 P32 P33 P34 P35 P36 P37 P38 P39 P40 P41 P42 P43 P44 P45 P46 P47 P48 P49 P5 P50 P51 P52 "
    "P53 P54 P55 P56 P57 P58 P59 P60 P61 P62 P63 P64 P65 P66 P67 P68 P69 P70 P71 P72 P73 P74 P75 P76 "
    "P77 P78 P79 P80 P81 P82 P83 P84 P85 P86 P87 P88 P89 P90 P91 P92 P93 P94 P95 P96 P97 P98 P99 PAL "
    "PD PFL PGL PI PLA PO PQ PR PS PTD PTI PTL PTN Q10 Q11 Q12 Q13 Q14 Q15 Q16 Q17 Q18 Q19 Q20 Q21 "
    "Q22 Q23 Q24 Q25 Q26 Q27 Q28 Q29 Q3 Q30 Q31 Q32 Q33 Q34 Q35 Q36 Q37 Q38 Q39 Q40 Q41 Q42 QA QAN QB "
    "QR QTD QTI QTL QTR R1 R9 RH RM ROM RP RPM RPS RT S3 S4 SAN SCO SCR SEC SET SG SIE SM3 SMI SQ SQR "
    "SR STC STI STK STL STN STW SW SX SYR T0 T3 TAH TAN TI TIC TIP TKM TMS TNE TP TPI TPR TQD TRL TST "
    "TTS U1 U2 UB UC VA VLT VP W2 WA WB WCD WE WEB WEE WG WHR WM WSD WTT X1 X1A X1B X1D X1F X1G X1W "
    "X2C X3A X3H X43 X44 X4A X4B X4C X4D X4F X4G X4H X5H X5L X5M X6H X6P X7A X7B X8A X8B X8C XAA XAB "
    "XAC XAD XAE XAF XAG XAH XAI XAJ XAL XAM XAP XAT XAV XB4 XBA XBB XBC XBD XBE XBF XBG XBH XBI XBJ "
    "XBK XBL XBM XBN XBO XBP XBQ XBR XBS XBT XBU XBV XBW XBX XBY XBZ XCA XCB XCC XCD XCE XCF XCG XCH "
    "XCI XCJ XCK XCL XCM XCN XCO XCP XCQ XCR XCS XCT XCU XCV XCW XCX XCY XCZ XDA XDB XDC XDG XDH XDI "
    "XDJ XDK XDL XDM XDN XDP XDR XDS XDT XDU XDV XDW XDX XDY XEC XED XEE XEF XEG XEH XEI XEN XFB XFC "
    "XFD XFE XFI XFL XFO XFP XFR XFT XFW XFX XGB XGI XGL XGR XGU XGY XGZ XHA XHB XHC XHG XHN XHR XIA "
    "XIB XIC XID XIE XIF XIG XIH XIK XIL XIN XIZ XJB XJC XJG XJR XJT XJY XKG XKI XLE XLG XLT XLU XLV "
    "XLZ XMA XMB XMC XME XMR XMS XMT XMW XMX XNA XNE XNF XNG XNS XNT XNU XNV XO1 XO2 XO3 XO4 XO5 XO6 "
    "XO7 XO8 XO9 XOA XOB XOC XOD XOE XOF XOG XOH XOI XOJ XOK XOL XOM XON XOP XOQ XOR XOS XOT XOU XOV "
    "XOW XOX XOY XOZ XP1 XP2 XP3 XP4 XPA XPB XPC XPD XPE XPF XPG XPH XPI XPJ XPK XPL XPN XPO XPP XPR "
    "XPT XPU XPV XPX XPY XPZ XQA XQB XQC XQD XQF XQG XQH XQJ XQK XQL XQM XQN XQP XQQ XQR XQS XRD XRG "
    "XRJ XRK XRL XRO XRT XRZ XSA XSB XSC XSD XSE XSH XSI XSK XSL XSM XSO XSP XSS XST XSU XSV XSW XSX "
    "XSY XSZ XT1 XTB XTC XTD XTE XTG XTI XTK XTL XTN XTO XTR XTS XTT XTU XTV XTW XTY XTZ XUC XUN XVA "
    "XVG XVI XVK XVL XVN XVO XVP XVQ XVR XVS XVY XWA XWB XWC XWD XWF XWG XWH XWJ XWK XWL XWM XWN XWP "
    "XWQ XWR XWS XWT XWU XWV XWW XWX XWY XWZ XXA XXB XXC XXD XXF XXG XXH XXJ XXK XYA XYB XYC XYD XYF "
    "XYG XYH XYJ XYK XYL XYM XYN XYP XYQ XYR XYS XYT XYV XYW XYX XYY XYZ XZA XZB XZC XZD XZF XZG XZH "
    "XZJ XZK XZL XZM XZN XZP XZQ XZR XZS XZT XZU XZV XZW XZX XZY XZZ YDK YDQ YRD Z11 Z9 ZP ZZ"
)

# BR-CL-03/04/05: ISO 4217 alpha-3.
CURRENCY_CODES: frozenset[str] = _codes(
    "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD "
    "CAD CDF CHE CHF CHW CLF CLP CNH CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD "
    "FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS "
    "KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK "
    "MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR "
    "SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX "
    "USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF "
    "XPT XSU XTS XUA XXX YER ZAR ZMW ZWG"
)

# BR-CL-14/15: ISO 3166-1 alpha-2 (plus 1A, Kosovo).
COUNTRY_CODES: frozenset[str] = _codes(
    "1A AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR "
    "BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC "
    "EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK "
    "HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB "
    "LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ "
    "NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU "
    "RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO "
    "TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XI YE YT ZA ZM ZW"
)

# BR-CL-16: UNTDID 4461.
PAYMENT_MEANS_CODES: frozenset[str] = _codes(
    "1 10 11 12 13 14 15 16 17 18 19 2 20 21 22 23 24 25 26 27 28 29 3 30 31 32 33 34 35 36 37 38 39 "
    "4 40 41 42 43 44 45 46 47 48 49 5 50 51 52 53 54 55 56 57 58 59 6 60 61 62 63 64 65 66 67 68 69 "
    "7 70 74 75 76 77 78 8 9 91 92 93 94 95 96 97 98 ZZZ"
)

# BR-CL-20: UNTDID 7161.
CHARGE_REASON_CODES: frozenset[str] = _codes(
    "AA AAA AAC AAD AAE AAF AAH AAI AAS AAT AAV AAY AAZ ABA ABB ABC ABD ABF ABK ABL ABN ABR ABS ABT "
    "ABU ACF ACG ACH ACI ACJ ACK ACL ACM ACS ADC ADE ADJ ADK ADL ADM ADN ADO ADP ADQ ADR ADT ADW ADY "
    "ADZ AEA AEB AEC AED AEF AEH AEI AEJ AEK AEL AEM AEN AEO AEP AES AET AEU AEV AEW AEX AEY AEZ AJ "
    "AU CA CAB CAD CAE CAF CAI CAJ CAK CAL CAM CAN CAO CAP CAQ CAR CAS CAT CAU CAV CAW CAX CAY CAZ CD "
    "CG CS CT DAB DAC DAD DAF DAG DAH DAI DAJ DAK DAL DAM DAN DAO DAP DAQ DL EG EP ER FAA FAB FAC FC "
    "FH FI GAA HAA HD HH IAA IAB ID IF IR IS KO L1 LA LAA LAB LF MAE MI ML NAA OA PA PAA PC PL PRV "
    "RAB RAC RAD RAF RE RF RH RV SA SAA SAD SAE SAI SG SH SM SU TAB TAC TT TV V1 V2 WH XAA YY ZZZ"
)

# BR-CL-22: CEF VATEX.
VAT_EXEMPTION_CODES: frozenset[str] = frozenset(code.value for code in VatExemptionCode)
"""Every VATEX code (BT-121), from the enum so the two never disagree."""
