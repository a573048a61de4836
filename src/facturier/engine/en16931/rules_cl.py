"""EN 16931 code-list rules (BR-CL): each code checked against its official list.

The lists Facturier also offers as enumerations come from `codes`; the others (document
types, note subjects, ISO 6523 ICD, electronic address schemes, MIME codes…) were taken
once from the EN 16931 1.3.16 CII validation artefact and are kept as data at the end.
"""

from __future__ import annotations

from facturier.engine.en16931.codes import (
    CHARGE_REASON_CODES,
    COUNTRY_CODES,
    CURRENCY_CODES,
    PAYMENT_MEANS_CODES,
    UNIT_CODES,
    AllowanceReasonCode,
    VatExemptionCode,
)
from facturier.engine.en16931.rules_core import Ctx, blank, code, fail, rule
from facturier.engine.validation.report import Finding

__all__ = [
    "DOCUMENT_TYPE_CODES",
    "EAS_CODES",
    "ICD_CODES",
    "ITEM_CLASSIFICATION_CODES",
    "MIME_CODES",
    "OBJECT_SCHEME_CODES",
    "SUBJECT_CODES",
]


# --- BR-CL: codes from the official lists -------------------------------------------------------


def _cl_fail(out: list[Finding], rule_id: str, path: str, value: str, fr_what: str, en_what: str, lst: str) -> None:
    fail(out, rule_id, path,
         f"Le code « {value} » n'est pas valide pour {fr_what} (liste {lst}).",
         f"The code '{value}' is not valid for {en_what} (list {lst}).")


@rule("BR-CL-01")
def _br_cl_01(c: Ctx, out: list[Finding]) -> None:
    value = code(c.inv.type_code).strip()
    if value and value not in DOCUMENT_TYPE_CODES:
        _cl_fail(out, "BR-CL-01", "type_code", value, "le type de document (BT-3)", "the invoice type code (BT-3)",
                 "UNTDID 1001")


@rule("BR-CL-04")
def _br_cl_04(c: Ctx, out: list[Finding]) -> None:
    value = c.inv.currency
    if not blank(value) and value not in CURRENCY_CODES:
        _cl_fail(out, "BR-CL-04", "currency", value, "la devise de la facture (BT-5)", "the invoice currency (BT-5)",
                 "ISO 4217")


@rule("BR-CL-05")
def _br_cl_05(c: Ctx, out: list[Finding]) -> None:
    for path, value in (("tax_currency", c.inv.tax_currency), ("totals.tax_currency", c.inv.totals.tax_currency)):
        if not blank(value) and value not in CURRENCY_CODES:
            _cl_fail(out, "BR-CL-05", path, value, "la devise de comptabilisation de la TVA (BT-6)",
                     "the VAT accounting currency (BT-6)", "ISO 4217")


# BT-8 in the semantic model is UNTDID 2005 (3, 35, 432); CII writes the same dates as 5, 29, 72.
_TAX_POINT_DATE_CODES = frozenset({"3", "35", "432", "5", "29", "72"})


@rule("BR-CL-06")
def _br_cl_06(c: Ctx, out: list[Finding]) -> None:
    value = c.inv.tax_point_date_code
    if not blank(value) and value.strip() not in _TAX_POINT_DATE_CODES:
        _cl_fail(out, "BR-CL-06", "tax_point_date_code", value, "le code de date d'exigibilité de la TVA (BT-8)",
                 "the VAT point date code (BT-8)", "UNTDID 2005 : 3, 35, 432")


@rule("BR-CL-07")
def _br_cl_07(c: Ctx, out: list[Finding]) -> None:
    obj = c.inv.invoiced_object
    if obj is not None and not blank(obj.scheme) and obj.scheme.strip() not in OBJECT_SCHEME_CODES:
        _cl_fail(out, "BR-CL-07", "invoiced_object.scheme", obj.scheme, "le schéma de l'objet facturé (BT-18-1)",
                 "the invoiced object identifier scheme (BT-18-1)", "UNTDID 1153")
    for i, line in enumerate(c.inv.lines):
        obj = line.object_id
        if obj is not None and not blank(obj.scheme) and obj.scheme.strip() not in OBJECT_SCHEME_CODES:
            _cl_fail(out, "BR-CL-07", f"lines[{i}].object_id.scheme", obj.scheme,
                     "le schéma de l'objet facturé à la ligne (BT-128-1)",
                     "the line object identifier scheme (BT-128-1)", "UNTDID 1153")


@rule("BR-CL-08")
def _br_cl_08(c: Ctx, out: list[Finding]) -> None:
    for i, note in enumerate(c.inv.notes):
        if not blank(note.subject_code) and note.subject_code.strip() not in SUBJECT_CODES:
            _cl_fail(out, "BR-CL-08", f"notes[{i}].subject_code", note.subject_code, "le sujet d'une note (BT-21)",
                     "an invoice note subject code (BT-21)", "UNTDID 4451")


def _icd_check(out: list[Finding], rule_id: str, path: str, scheme: str | None, fr: str, en: str) -> None:
    if not blank(scheme) and scheme.strip() not in ICD_CODES:
        _cl_fail(out, rule_id, path, scheme, fr, en, "ISO 6523 ICD")


@rule("BR-CL-10")
def _br_cl_10(c: Ctx, out: list[Finding]) -> None:
    inv = c.inv
    for i, ident in enumerate(inv.seller.identifiers):
        _icd_check(out, "BR-CL-10", f"seller.identifiers[{i}].scheme", ident.scheme,
                   "le schéma de l'identifiant du vendeur (BT-29-1)", "the seller identifier scheme (BT-29-1)")
    for i, ident in enumerate(inv.buyer.identifiers):
        _icd_check(out, "BR-CL-10", f"buyer.identifiers[{i}].scheme", ident.scheme,
                   "le schéma de l'identifiant de l'acheteur (BT-46-1)", "the buyer identifier scheme (BT-46-1)")
    if inv.payee is not None and inv.payee.identifier is not None:
        _icd_check(out, "BR-CL-10", "payee.identifier.scheme", inv.payee.identifier.scheme,
                   "le schéma de l'identifiant du bénéficiaire (BT-60-1)", "the payee identifier scheme (BT-60-1)")


@rule("BR-CL-11")
def _br_cl_11(c: Ctx, out: list[Finding]) -> None:
    inv = c.inv
    for path, ident, bt in (
        ("seller.legal_registration.scheme", inv.seller.legal_registration, "BT-30-1"),
        ("buyer.legal_registration.scheme", inv.buyer.legal_registration, "BT-47-1"),
        ("payee.legal_registration.scheme", inv.payee.legal_registration if inv.payee else None, "BT-61-1"),
    ):
        if ident is not None:
            _icd_check(out, "BR-CL-11", path, ident.scheme, f"le schéma d'immatriculation légale ({bt})",
                       f"the legal registration identifier scheme ({bt})")


@rule("BR-CL-13")
def _br_cl_13(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        for j, classification in enumerate(line.item.classifications if line.item is not None else ()):
            scheme = classification.scheme
            if not blank(scheme) and scheme.strip() not in ITEM_CLASSIFICATION_CODES:
                _cl_fail(out, "BR-CL-13", f"lines[{i}].item.classifications[{j}].scheme", scheme,
                         "le schéma de classification de l'article (BT-158-1)",
                         "the item classification scheme (BT-158-1)", "UNTDID 7143")


def _country_check(out: list[Finding], path: str, value: str | None, rule_id: str = "BR-CL-14") -> None:
    if not blank(value) and value not in COUNTRY_CODES:
        _cl_fail(out, rule_id, path, value, "un code pays", "a country code", "ISO 3166-1 alpha-2")


@rule("BR-CL-14")
def _br_cl_14(c: Ctx, out: list[Finding]) -> None:
    inv = c.inv
    for path, address in (
        ("seller.address.country", inv.seller.address),
        ("buyer.address.country", inv.buyer.address),
        ("tax_representative.address.country", inv.tax_representative.address if inv.tax_representative else None),
        ("delivery.address.country", inv.delivery.address if inv.delivery else None),
    ):
        if address is not None:
            _country_check(out, path, address.country)


@rule("BR-CL-15")
def _br_cl_15(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        if line.item is not None:
            _country_check(out, f"lines[{i}].item.origin_country", line.item.origin_country, "BR-CL-15")


@rule("BR-CL-16")
def _br_cl_16(c: Ctx, out: list[Finding]) -> None:
    payment = c.inv.payment
    if payment is not None and not blank(payment.means_code) and payment.means_code.strip() not in PAYMENT_MEANS_CODES:
        _cl_fail(out, "BR-CL-16", "payment.means_code", payment.means_code, "le moyen de paiement (BT-81)",
                 "the payment means type code (BT-81)", "UNTDID 4461")


_VAT_CATEGORY_CODES = frozenset({"AE", "L", "M", "E", "S", "Z", "G", "O", "K", "B"})


@rule("BR-CL-17")
def _br_cl_17(c: Ctx, out: list[Finding]) -> None:
    for i, ac in enumerate(c.inv.allowances_charges):
        value = code(ac.vat_category)
        if value and value not in _VAT_CATEGORY_CODES:
            _cl_fail(out, "BR-CL-17", f"allowances_charges[{i}].vat_category", value,
                     "la catégorie de TVA d'une remise ou de frais (BT-95, BT-102)",
                     "the VAT category of an allowance or charge (BT-95, BT-102)", "UNTDID 5305")


@rule("BR-CL-18")
def _br_cl_18(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        value = code(line.vat.category) if line.vat is not None else ""
        if value and value not in _VAT_CATEGORY_CODES:
            _cl_fail(out, "BR-CL-18", f"lines[{i}].vat.category", value, "la catégorie de TVA de la ligne (BT-151)",
                     "the line VAT category (BT-151)", "UNTDID 5305")
    for i, group in enumerate(c.inv.vat_breakdown):
        value = code(group.category)
        if value and value not in _VAT_CATEGORY_CODES:
            _cl_fail(out, "BR-CL-18", f"vat_breakdown[{i}].category", value,
                     "la catégorie du récapitulatif de TVA (BT-118)", "the VAT breakdown category (BT-118)",
                     "UNTDID 5305")


_ALLOWANCE_REASON_CODES = frozenset(c.value for c in AllowanceReasonCode)


def _reason_codes(c: Ctx, out: list[Finding], rule_id: str, is_charge: bool) -> None:
    valid = CHARGE_REASON_CODES if is_charge else _ALLOWANCE_REASON_CODES
    fr_what = "le motif des frais (BT-105, BT-145)" if is_charge else "le motif de la remise (BT-98, BT-140)"
    en_what = "the charge reason code (BT-105, BT-145)" if is_charge else "the allowance reason code (BT-98, BT-140)"
    lst = "UNTDID 7161" if is_charge else "UNTDID 5189"
    for i, ac in enumerate(c.inv.allowances_charges):
        if ac.is_charge is is_charge and not blank(ac.reason_code) and ac.reason_code.strip() not in valid:
            _cl_fail(out, rule_id, f"allowances_charges[{i}].reason_code", ac.reason_code, fr_what, en_what, lst)
    for i, line in enumerate(c.inv.lines):
        for j, ac in enumerate(line.allowances_charges):
            if ac.is_charge is is_charge and not blank(ac.reason_code) and ac.reason_code.strip() not in valid:
                _cl_fail(out, rule_id, f"lines[{i}].allowances_charges[{j}].reason_code", ac.reason_code,
                         fr_what, en_what, lst)


@rule("BR-CL-19")
def _br_cl_19(c: Ctx, out: list[Finding]) -> None:
    _reason_codes(c, out, "BR-CL-19", False)


@rule("BR-CL-20")
def _br_cl_20(c: Ctx, out: list[Finding]) -> None:
    _reason_codes(c, out, "BR-CL-20", True)


@rule("BR-CL-21")
def _br_cl_21(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        standard = line.item.standard_id if line.item is not None else None
        if standard is not None:
            _icd_check(out, "BR-CL-21", f"lines[{i}].item.standard_id.scheme", standard.scheme,
                       "le schéma de l'identifiant normalisé de l'article (BT-157-1)",
                       "the item standard identifier scheme (BT-157-1)")


_VATEX_CODES = frozenset(c.value for c in VatExemptionCode)


@rule("BR-CL-22")
def _br_cl_22(c: Ctx, out: list[Finding]) -> None:
    inv = c.inv
    codes = [(f"vat_breakdown[{i}].exemption_code", g.exemption_code, "BT-121")
             for i, g in enumerate(inv.vat_breakdown)]
    # The EXTENDED-CTC-FR exemption codes of lines and allowances/charges come from the same list.
    codes.extend((f"allowances_charges[{i}].vat_exemption_code", ac.vat_exemption_code, "BT-174, BT-176")
                 for i, ac in enumerate(inv.allowances_charges) if ac.vat_exemption_code is not None)
    codes.extend((f"lines[{i}].vat.exemption_code", line.vat.exemption_code, "BT-X-97")
                 for i, line in enumerate(inv.lines) if line.vat is not None and line.vat.exemption_code is not None)
    for path, value, bt in codes:
        if not blank(value) and value.strip().upper() not in _VATEX_CODES:
            _cl_fail(out, "BR-CL-22", path, value, f"le motif d'exonération de TVA ({bt})",
                     f"the VAT exemption reason code ({bt})", "VATEX")


@rule("BR-CL-23")
def _br_cl_23(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        if not blank(line.unit) and line.unit not in UNIT_CODES:
            _cl_fail(out, "BR-CL-23", f"lines[{i}].unit", line.unit, "l'unité de mesure (BT-130)",
                     "the unit of measure (BT-130)", "UN/ECE Rec 20/21")
        if line.price is None:
            continue
        for field, bt in (("base_unit", "BT-150"), ("gross_base_unit", "BT-150-1")):
            unit = getattr(line.price, field, None)
            if not blank(unit) and unit not in UNIT_CODES:
                _cl_fail(out, "BR-CL-23", f"lines[{i}].price.{field}", unit,
                         f"l'unité de la quantité de base du prix ({bt})", f"the price base quantity unit ({bt})",
                         "UN/ECE Rec 20/21")


@rule("BR-CL-24")
def _br_cl_24(c: Ctx, out: list[Finding]) -> None:
    for i, document in enumerate(c.inv.additional_documents):
        if document.attachment is not None and not blank(document.mime_code) and document.mime_code not in MIME_CODES:
            _cl_fail(out, "BR-CL-24", f"additional_documents[{i}].mime_code", document.mime_code,
                     "le type MIME d'une pièce jointe (BT-125-1) : PDF, PNG, JPEG, CSV, XLSX ou ODS",
                     "the MIME code of an attachment (BT-125-1): PDF, PNG, JPEG, CSV, XLSX or ODS", "MIME")


@rule("BR-CL-25")
def _br_cl_25(c: Ctx, out: list[Finding]) -> None:
    for path, address, bt in (
        ("seller.electronic_address.scheme", c.inv.seller.electronic_address, "BT-34-1"),
        ("buyer.electronic_address.scheme", c.inv.buyer.electronic_address, "BT-49-1"),
    ):
        if address is not None and not blank(address.scheme) and address.scheme.strip() not in EAS_CODES:
            _cl_fail(out, "BR-CL-25", path, address.scheme, f"le schéma d'adresse électronique ({bt})",
                     f"the electronic address scheme ({bt})", "CEF EAS")


@rule("BR-CL-26")
def _br_cl_26(c: Ctx, out: list[Finding]) -> None:
    delivery = c.inv.delivery
    if delivery is not None and delivery.location_id is not None:
        _icd_check(out, "BR-CL-26", "delivery.location_id.scheme", delivery.location_id.scheme,
                   "le schéma de l'identifiant du lieu de livraison (BT-71-1)",
                   "the deliver to location identifier scheme (BT-71-1)")


# --- Official code lists not held in codes.py (extracted from the EN 16931 1.3.16 CII XSLT) --------


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# BR-CL-01: UNTDID 1001 invoice and credit note codes.
DOCUMENT_TYPE_CODES: frozenset[str] = _codes(
    "71 80 81 82 83 84 102 130 202 203 204 211 218 219 261 262 295 296 308 325 326 331 380 381 382 "
    "383 384 385 386 387 388 389 390 393 394 395 396 420 456 457 458 471 472 473 500 501 502 503 "
    "527 532 553 575 623 633 751 780 817 870 875 876 877 935 "
)

# BR-CL-07: UNTDID 1153 reference code qualifiers (BT-18-1).
OBJECT_SCHEME_CODES: frozenset[str] = _codes(
    "AAA AAB AAC AAD AAE AAF AAG AAH AAI AAJ AAK AAL AAM AAN AAO AAP AAQ AAR AAS AAT AAU AAV AAW "
    "AAX AAY AAZ ABA ABB ABC ABD ABE ABF ABG ABH ABI ABJ ABK ABL ABM ABN ABO ABP ABQ ABR ABS ABT "
    "ABU ABV ABW ABX ABY ABZ AC ACA ACB ACC ACD ACE ACF ACG ACH ACI ACJ ACK ACL ACN ACO ACP ACQ ACR "
    "ACT ACU ACV ACW ACX ACY ACZ ADA ADB ADC ADD ADE ADF ADG ADI ADJ ADK ADL ADM ADN ADO ADP ADQ "
    "ADT ADU ADV ADW ADX ADY ADZ AE AEA AEB AEC AED AEE AEF AEG AEH AEI AEJ AEK AEL AEM AEN AEO AEP "
    "AEQ AER AES AET AEU AEV AEW AEX AEY AEZ AF AFA AFB AFC AFD AFE AFF AFG AFH AFI AFJ AFK AFL AFM "
    "AFN AFO AFP AFQ AFR AFS AFT AFU AFV AFW AFX AFY AFZ AGA AGB AGC AGD AGE AGF AGG AGH AGI AGJ "
    "AGK AGL AGM AGN AGO AGP AGQ AGR AGS AGT AGU AGV AGW AGX AGY AGZ AHA AHB AHC AHD AHE AHF AHG "
    "AHH AHI AHJ AHK AHL AHM AHN AHO AHP AHQ AHR AHS AHT AHU AHV AHX AHY AHZ AIA AIB AIC AID AIE "
    "AIF AIG AIH AII AIJ AIK AIL AIM AIN AIO AIP AIQ AIR AIS AIT AIU AIV AIW AIX AIY AIZ AJA AJB "
    "AJC AJD AJE AJF AJG AJH AJI AJJ AJK AJL AJM AJN AJO AJP AJQ AJR AJS AJT AJU AJV AJW AJX AJY "
    "AJZ AKA AKB AKC AKD AKE AKF AKG AKH AKI AKJ AKK AKL AKM AKN AKO AKP AKQ AKR AKS AKT AKU AKV "
    "AKW AKX AKY AKZ ALA ALB ALC ALD ALE ALF ALG ALH ALI ALJ ALK ALL ALM ALN ALO ALP ALQ ALR ALS "
    "ALT ALU ALV ALW ALX ALY ALZ AMA AMB AMC AMD AME AMF AMG AMH AMI AMJ AMK AML AMM AMN AMO AMP "
    "AMQ AMR AMS AMT AMU AMV AMW AMX AMY AMZ ANA ANB ANC AND ANE ANF ANG ANH ANI ANJ ANK ANL ANM "
    "ANN ANO ANP ANQ ANR ANS ANT ANU ANV ANW ANX ANY AOA AOD AOE AOF AOG AOH AOI AOJ AOK AOL AOM "
    "AON AOO AOP AOQ AOR AOS AOT AOU AOV AOW AOX AOY AOZ AP APA APB APC APD APE APF APG APH API APJ "
    "APK APL APM APN APO APP APQ APR APS APT APU APV APW APX APY APZ AQA AQB AQC AQD AQE AQF AQG "
    "AQH AQI AQJ AQK AQL AQM AQN AQO AQP AQQ AQR AQS AQT AQU AQV AQW AQX AQY AQZ ARA ARB ARC ARD "
    "ARE ARF ARG ARH ARI ARJ ARK ARL ARM ARN ARO ARP ARQ ARR ARS ART ARU ARV ARW ARX ARY ARZ ASA "
    "ASB ASC ASD ASE ASF ASG ASH ASI ASJ ASK ASL ASM ASN ASO ASP ASQ ASR ASS AST ASU ASV ASW ASX "
    "ASY ASZ ATA ATB ATC ATD ATE ATF ATG ATH ATI ATJ ATK ATL ATM ATN ATO ATP ATQ ATR ATS ATT ATU "
    "ATV ATW ATX ATY ATZ AU AUA AUB AUC AUD AUE AUF AUG AUH AUI AUJ AUK AUL AUM AUN AUO AUP AUQ AUR "
    "AUS AUT AUU AUV AUW AUX AUY AUZ AV AVA AVB AVC AVD AVE AVF AVG AVH AVI AVJ AVK AVL AVM AVN AVO "
    "AVP AVQ AVR AVS AVT AVU AVV AVW AVX AVY AVZ AWA AWB AWC AWD AWE AWF AWG AWH AWI AWJ AWK AWL "
    "AWM AWN AWO AWP AWQ AWR AWS AWT AWU AWV AWW AWX AWY AWZ AXA AXB AXC AXD AXE AXF AXG AXH AXI "
    "AXJ AXK AXL AXM AXN AXO AXP AXQ AXR AXS AXU BA BC BD BE BH BM BN BO BR BT BTP BW CAS CAT CAU "
    "CAV CAW CAX CAY CAZ CBA CBB CD CEC CED CFE CFF CFO CG CH CK CKN CM CMR CN CNO COF CP CR CRN CS "
    "CST CT CU CV CW CZ DA DAN DB DI DL DM DQ DR EA EB ED EE EEP EI EN EQ ER ERN ET EX FC FF FI FLW "
    "FN FO FS FT FV FX GA GC GD GDN GN HS HWB IA IB ICA ICE ICO II IL INB INN INO IP IS IT IV JB JE "
    "LA LAN LAR LB LC LI LO LRC LS MA MB MF MG MH MR MRN MS MSS MWB NA NF OH OI ON OP OR PB PC PD "
    "PE PF PI PK PL POR PP PQ PR PS PW PY RA RC RCN RE REN RF RR RT SA SB SD SE SEA SF SH SI SM SN "
    "SP SQ SRN SS STA SW SZ TB TCR TE TF TI TIN TL TN TP UAR UC UCN UN UO URI VA VC VGR VM VN VON "
    "VOR VP VR VS VT VV WE WM WN WR WS WY XA XC XP ZZZ "
)

# BR-CL-08: UNTDID 4451 text subject qualifiers (BT-21).
SUBJECT_CODES: frozenset[str] = _codes(
    "AAA AAB AAC AAD AAE AAF AAG AAI AAJ AAK AAL AAM AAN AAO AAP AAQ AAR AAS AAT AAU AAV AAW AAX "
    "AAY AAZ ABA ABB ABC ABD ABE ABF ABG ABH ABI ABJ ABK ABL ABM ABN ABO ABP ABQ ABR ABS ABT ABU "
    "ABV ABW ABX ABZ ACA ACB ACC ACD ACE ACF ACG ACH ACI ACJ ACK ACL ACM ACN ACO ACP ACQ ACR ACS "
    "ACT ACU ACV ACW ACX ACY ACZ ADA ADB ADC ADD ADE ADF ADG ADH ADI ADJ ADK ADL ADM ADN ADO ADP "
    "ADQ ADR ADS ADT ADU ADV ADW ADX ADY ADZ AEA AEB AEC AED AEE AEF AEG AEH AEI AEJ AEK AEL AEM "
    "AEN AEO AEP AEQ AER AES AET AEU AEV AEW AEX AEY AEZ AFA AFB AFC AFD AFE AFF AFG AFH AFI AFJ "
    "AFK AFL AFM AFN AFO AFP AFQ AFR AFS AFT AFU AFV AFW AFX AFY AFZ AGA AGB AGC AGD AGE AGF AGG "
    "AGH AGI AGJ AGK AGL AGM AGN AGO AGP AGQ AGR AGS AGT AGU AGV AGW AGX AGY AGZ AHA AHB AHC AHD "
    "AHE AHF AHG AHH AHI AHJ AHK AHL AHM AHN AHO AHP AHQ AHR AHS AHT AHU AHV AHW AHX AHY AHZ AIA "
    "AIB AIC AID AIE AIF AIG AIH AII AIJ AIK AIL AIM AIN AIO AIP AIQ AIR AIS AIT AIU AIV AIW AIX "
    "AIY AIZ AJA AJB ALC ALD ALE ALF ALG ALH ALI ALJ ALK ALL ALM ALN ALO ALP ALQ ARR ARS AUT AUU "
    "AUV AUW AUX AUY AUZ AVA AVB AVC AVD AVE AVF BAG BAH BAI BAJ BAK BAL BAM BAN BAO BAP BAQ BAR "
    "BAS BAT BAU BAV BAW BAX BAY BAZ BBA BBB BLC BLD BLE BLF BLG BLH BLI BLJ BLK BLL BLM BLN BLO "
    "BLP BLQ BLR BLS BLT BLU BLV BLW BLX BLY BLZ BMA BMB BMC BMD BME BMF BMG BMH CCI CCJ CCK CCL "
    "CCM CCN CCO CEX CHG CIP CLP CLR COI CUR CUS DAR DCL DEL DIN DOC DUT EUR FBC GBL GEN GS7 HAN "
    "HAZ ICN IIN IMI IND INS INV IRP ITR ITS LAN LIN LOI MCO MDH MKS ORI OSI PAC PAI PAY PKG PKT "
    "PMD PMT PRD PRF PRI PUR QIN QQD QUT RAH REG RET REV RQR SAF SIC SIN SLR SPA SPG SPH SPP SPT "
    "SRN SSR SUR TCA TDT TRA TRR TXD WHI ZZZ "
)

# BR-CL-10: ISO 6523 ICD (BR-CL-10, BR-CL-11, BR-CL-21, BR-CL-26).
ICD_CODES: frozenset[str] = _codes(
    "0002 0003 0004 0005 0006 0007 0008 0009 0010 0011 0012 0013 0014 0015 0016 0017 0018 0019 0020 "
    "0021 0022 0023 0024 0025 0026 0027 0028 0029 0030 0031 0032 0033 0034 0035 0036 0037 0038 0039 "
    "0040 0041 0042 0043 0044 0045 0046 0047 0048 0049 0050 0051 0052 0053 0054 0055 0056 0057 0058 "
    "0059 0060 0061 0062 0063 0064 0065 0066 0067 0068 0069 0070 0071 0072 0073 0074 0075 0076 0077 "
    "0078 0079 0080 0081 0082 0083 0084 0085 0086 0087 0088 0089 0090 0091 0093 0094 0095 0096 0097 "
    "0098 0099 0100 0101 0102 0104 0105 0106 0107 0108 0109 0110 0111 0112 0113 0114 0115 0116 0117 "
    "0118 0119 0120 0121 0122 0123 0124 0125 0126 0127 0128 0129 0130 0131 0132 0133 0134 0135 0136 "
    "0137 0138 0139 0140 0141 0142 0143 0144 0145 0146 0147 0148 0149 0150 0151 0152 0153 0154 0155 "
    "0156 0157 0158 0159 0160 0161 0162 0163 0164 0165 0166 0167 0168 0169 0170 0171 0172 0173 0174 "
    "0175 0176 0177 0178 0179 0180 0183 0184 0185 0186 0187 0188 0189 0190 0191 0192 0193 0194 0195 "
    "0196 0197 0198 0199 0200 0201 0202 0203 0204 0205 0206 0207 0208 0209 0210 0211 0212 0213 0214 "
    "0215 0216 0217 0218 0219 0220 0221 0222 0223 0224 0225 0226 0227 0228 0229 0230 0231 0232 0233 "
    "0234 0235 0236 0237 0238 0239 0240 0241 0242 0243 0244 0245 0246 0247 0248 "
)

# BR-CL-13: UNTDID 7143 item type identification codes (BT-158-1).
ITEM_CLASSIFICATION_CODES: frozenset[str] = _codes(
    "AA AB AC AD AE AF AG AH AI AJ AK AL AM AN AO AP AQ AR AS AT AU AV AW AX AY AZ BA BB BC BD BE "
    "BF BG BH BI BJ BK BL BM BN BO BP BQ BR BS BT BU BV BW BX BY BZ CC CG CL CR CV DR DW EC EF EMD "
    "EN FS GB GN GMN GS HS IB IN IS IT IZ MA MF MN MP NB ON PD PL PO PPI PV QS RC RN RU RY SA SG SK "
    "SN SRS SRT SRU SRV SRW SRX SRY SRZ SS SSA SSB SSC SSD SSE SSF SSG SSH SSI SSJ SSK SSL SSM SSN "
    "SSO SSP SSQ SSR SSS SST SSU SSV SSW SSX SSY SSZ ST STA STB STC STD STE STF STG STH STI STJ STK "
    "STL STM STN STO STP STQ STR STS STT STU STV STW STX STY STZ SUA SUB SUC SUD SUE SUF SUG SUH "
    "SUI SUJ SUK SUL SUM TG TSN TSO TSP TSQ TSR TSS TST TSU UA UP VN VP VS VX ZZZ "
)

# BR-CL-25: CEF Electronic Address Scheme (BT-34-1, BT-49-1).
EAS_CODES: frozenset[str] = _codes(
    "0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0147 0151 0154 0158 0170 0177 0183 "
    "0184 0188 0190 0191 0192 0193 0194 0195 0196 0198 0199 0200 0201 0202 0203 0204 0205 0208 0209 "
    "0210 0211 0212 0213 0215 0216 0217 0218 0219 0220 0221 0225 0230 0235 0240 0244 0242 0245 0246 "
    "0248 9910 9913 9914 9915 9918 9919 9920 9922 9923 9924 9925 9926 9927 9928 9929 9930 9931 9932 "
    "9933 9934 9935 9936 9937 9938 9939 9940 9941 9942 9943 9944 9945 9946 9947 9948 9949 9950 9951 "
    "9952 9953 9957 9959 AN AQ AS AU EM "
)

# BR-CL-24: attachment MIME codes (BT-125-1).
MIME_CODES: frozenset[str] = _codes(
    "application/pdf image/png image/jpeg text/csv "
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet "
    "application/vnd.oasis.opendocument.spreadsheet "
)
