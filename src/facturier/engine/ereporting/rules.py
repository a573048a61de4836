"""The rules an e-reporting file must follow, as far as the public description establishes them.

Each rule has an id (ER-…), and each finding says what is wrong and what to do, in French and
English. `validate(data)` reads the XML back (so what is checked is exactly what is sent) and runs
`check(report)`; a file that cannot be read is one ER-FORMAT finding.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from stdnum.fr import siren as stdnum_siren

from facturier.engine.ereporting import format as fmt
from facturier.engine.ereporting.calendar import is_period
from facturier.engine.ereporting.model import Category, Flow, Nature, Report, computed_totals
from facturier.engine.errors import Message
from facturier.engine.validation.report import Finding, Severity
from facturier.engine.validation.report import Report as RuleReport

CHECK = "ereporting"
KNOWN_RATES = frozenset(Decimal(r) for r in (
    "0.00", "20.00", "10.00", "5.50", "2.10",            # mainland France
    "13.00", "0.90",                                       # Corsica
    "8.50", "1.75", "1.05"))                               # Guadeloupe, Martinique, La Réunion
"""French VAT rates (percent); another rate is a warning, not an error (rates change by law)."""
CENT = Decimal("0.01")


def _fatal(rule: str, path: str, fr: str, en: str) -> Finding:
    return Finding(rule=rule, severity=Severity.FATAL, message=Message(fr=fr, en=en), path=path, source=CHECK)


def _warning(rule: str, path: str, fr: str, en: str) -> Finding:
    return Finding(rule=rule, severity=Severity.WARNING, message=Message(fr=fr, en=en), path=path, source=CHECK)


def validate(data: bytes) -> tuple[Report | None, RuleReport]:
    """The report read from `data` (None when unreadable) and the findings of every rule."""
    try:
        report = fmt.parse(data)
    except fmt.FormatError as e:
        return None, RuleReport.of([Finding(rule="ER-FORMAT", severity=Severity.FATAL, message=e.message,
                                            source=CHECK)], CHECK)
    return report, check(report)


def check(report: Report) -> RuleReport:
    out: list[Finding] = []
    _header(report, out)
    _sections(report, out)
    _totals(report, out)
    return RuleReport.of(out, CHECK)


def _header(report: Report, out: list[Finding]) -> None:
    siren = report.declarant.siren
    if not stdnum_siren.is_valid(siren or ""):
        out.append(_fatal("ER-SIREN-01", "declarant.siren",
                          f"Le SIREN du déclarant « {siren} » est invalide (9 chiffres, clé de contrôle). "
                          "Corrigez-le dans le profil légal de l'organisation.",
                          f"The declarant's SIREN “{siren}” is invalid (9 digits, check digit). "
                          "Correct it in the organisation's legal profile."))
    if report.currency != "EUR":
        out.append(_fatal("ER-CUR-01", "currency",
                          f"La devise du rapport doit être l'euro (EUR), pas {report.currency}.",
                          f"The report's currency must be the euro (EUR), not {report.currency}."))
    if report.start > report.end:
        out.append(_fatal("ER-PERIOD-01", "period",
                          f"La période commence ({report.start}) après sa fin ({report.end}).",
                          f"The period starts ({report.start}) after it ends ({report.end})."))
    elif not is_period(report.declarant.regime, report.flow, report.start, report.end):
        out.append(_fatal("ER-PERIOD-02", "period",
                          f"Du {report.start} au {report.end} n'est pas une période de déclaration du régime du "
                          "déclarant pour ce flux. Construisez le rapport sur une période du calendrier.",
                          f"{report.start} to {report.end} is not a reporting period of the declarant's regime for "
                          "this flow. Build the report on a period of the calendar."))
    if report.nature is Nature.RECTIFICATION and not report.rectifies:
        out.append(_fatal("ER-RECT-01", "rectifies", "Un rapport rectificatif doit indiquer le rapport qu'il rectifie.",
                          "A rectification must name the report it rectifies."))
    if report.nature is Nature.INITIAL and report.rectifies:
        out.append(_fatal("ER-RECT-02", "rectifies",
                          "Un rapport initial ne rectifie aucun rapport : retirez la référence ou faites-en un "
                          "rapport rectificatif.",
                          "An initial report rectifies nothing: remove the reference or make it a rectification."))
    if report.rectifies and report.rectifies == report.report_id:
        out.append(_fatal("ER-RECT-03", "rectifies", "Un rapport ne peut pas se rectifier lui-même.",
                          "A report cannot rectify itself."))
    wrong = (report.payments or report.payment_summaries) if report.flow is Flow.TRANSACTIONS else (
        report.transactions or report.summaries)
    if wrong:
        out.append(_fatal("ER-FLOW-01", "flow",
                          "Un rapport de transactions (10.1, 10.3) ne porte pas de paiements (10.2, 10.4), et "
                          "inversement.",
                          "A transactions report (10.1, 10.3) carries no payments (10.2, 10.4), and the other way "
                          "round."))


def _to_cent(out: list[Finding], path: str, value: Decimal) -> None:
    if not value.is_finite() or value.as_tuple().exponent != -2:
        out.append(_fatal("ER-AMOUNT-01", path, f"Le montant {value} doit avoir exactement deux décimales.",
                          f"The amount {value} must have exactly two decimals."))


def _rate(out: list[Finding], path: str, rate: Decimal) -> None:
    _to_cent(out, path, rate)
    if rate.is_finite() and rate not in KNOWN_RATES:
        out.append(_warning("ER-RATE-01", path, f"Le taux de TVA {rate} % n'est pas un taux français connu.",
                            f"The VAT rate {rate}% is not a known French rate."))


def _inside(out: list[Finding], path: str, day: dt.date, report: Report) -> None:
    if not report.start <= day <= report.end:
        out.append(_fatal("ER-DATE-01", path,
                          f"La date {day} est hors de la période du rapport ({report.start} – {report.end}).",
                          f"The date {day} is outside the report's period ({report.start} – {report.end})."))


def _vat(out: list[Finding], path: str, *, taxable: Decimal, tax: Decimal, rate: Decimal, documents: int) -> None:
    """VAT = base × rate, within the roundings: each document rounds its VAT per rate to the cent, so a sum
    of n documents may differ by up to half a cent each."""
    if not (taxable.is_finite() and tax.is_finite() and rate.is_finite()):
        return
    expected = taxable * rate / 100
    tolerance = max(CENT, (Decimal("0.005") * max(documents, 1)).quantize(CENT))
    if abs(tax - expected) > tolerance:
        out.append(_fatal("ER-VAT-01", path,
                          f"La TVA {tax} ne correspond pas à la base {taxable} × {rate} % "
                          f"(attendu {expected.quantize(CENT)}, écart toléré {tolerance}).",
                          f"The VAT {tax} does not match the base {taxable} × {rate}% "
                          f"(expected {expected.quantize(CENT)}, tolerance {tolerance})."))


def _category(out: list[Finding], path: str, category) -> None:
    if not isinstance(category, Category):
        out.append(_fatal("ER-CAT-01", path,
                          f"Catégorie inconnue « {category} » : attendu TLB1, TPS1, TNT1 ou TMA1.",
                          f"Unknown category “{category}”: expected TLB1, TPS1, TNT1 or TMA1."))


def _duplicate(out: list[Finding], path: str, what_fr: str, what_en: str) -> None:
    out.append(_fatal("ER-DUP-01", path, f"{what_fr} figure deux fois dans le rapport.",
                      f"{what_en} appears twice in the report."))


def _sections(report: Report, out: list[Finding]) -> None:
    seen: set = set()
    for i, t in enumerate(report.transactions):
        path = f"transactions[{i}]"
        key = ("T", t.number)
        if key in seen:
            _duplicate(out, path, f"La transaction {t.number}", f"Transaction {t.number}")
        seen.add(key)
        _inside(out, f"{path}.issue_date", t.issue_date, report)
        _category(out, f"{path}.category", t.category)
        if not t.subtotals:
            out.append(_fatal("ER-TX-01", path, f"La transaction {t.number} n'a aucun montant par taux de TVA.",
                              f"Transaction {t.number} has no amount per VAT rate."))
        if t.buyer_country == "FR":
            out.append(_fatal("ER-TX-02", f"{path}.buyer_country",
                              f"La transaction {t.number} a un acheteur en France : elle relève de la facturation "
                              "électronique, pas de l'e-reporting international.",
                              f"Transaction {t.number} has a buyer in France: it belongs to e-invoicing, not to "
                              "international e-reporting."))
        for j, s in enumerate(t.subtotals):
            sub = f"{path}.subtotals[{j}]"
            _rate(out, f"{sub}.rate", s.rate)
            _to_cent(out, f"{sub}.taxable", s.taxable)
            _to_cent(out, f"{sub}.tax", s.tax)
            _vat(out, sub, taxable=s.taxable, tax=s.tax, rate=s.rate, documents=1)
    for i, s in enumerate(report.summaries):
        path = f"summaries[{i}]"
        key = ("S", s.day, str(s.category), s.rate)
        if key in seen:
            _duplicate(out, path, f"Le cumul du {s.day} ({s.category}, {s.rate} %)",
                       f"The total of {s.day} ({s.category}, {s.rate}%)")
        seen.add(key)
        _inside(out, f"{path}.day", s.day, report)
        _category(out, f"{path}.category", s.category)
        _rate(out, f"{path}.rate", s.rate)
        _to_cent(out, f"{path}.taxable", s.taxable)
        _to_cent(out, f"{path}.tax", s.tax)
        if s.count < 1:
            out.append(_fatal("ER-COUNT-01", f"{path}.count", f"Le cumul du {s.day} compte {s.count} transaction.",
                              f"The total of {s.day} counts {s.count} transactions."))
        _vat(out, path, taxable=s.taxable, tax=s.tax, rate=s.rate, documents=s.count)
    for i, p in enumerate(report.payments):
        path = f"payments[{i}]"
        key = ("P", p.invoice_number, p.payment_date, p.rate)
        if key in seen:
            _duplicate(out, path, f"Le paiement du {p.payment_date} de la facture {p.invoice_number} ({p.rate} %)",
                       f"The payment of {p.payment_date} of invoice {p.invoice_number} ({p.rate}%)")
        seen.add(key)
        _inside(out, f"{path}.payment_date", p.payment_date, report)
        _rate(out, f"{path}.rate", p.rate)
        _to_cent(out, f"{path}.amount", p.amount)
    for i, q in enumerate(report.payment_summaries):
        path = f"payment_summaries[{i}]"
        key = ("Q", q.day, q.rate)
        if key in seen:
            _duplicate(out, path, f"Le cumul des paiements du {q.day} ({q.rate} %)",
                       f"The payments total of {q.day} ({q.rate}%)")
        seen.add(key)
        _inside(out, f"{path}.day", q.day, report)
        _rate(out, f"{path}.rate", q.rate)
        _to_cent(out, f"{path}.amount", q.amount)


def _totals(report: Report, out: list[Finding]) -> None:
    declared = report.totals
    if declared is None:
        out.append(_fatal("ER-TOTAL-01", "totals", "Les totaux du rapport manquent.",
                          "The report's totals are missing."))
        return
    actual = computed_totals(report)
    for name, fr in (("taxable", "base imposable"), ("tax", "TVA"), ("paid", "montant encaissé"),
                     ("entries", "nombre d'entrées")):
        got, want = getattr(declared, name), getattr(actual, name)
        if got != want:
            out.append(_fatal("ER-TOTAL-02", f"totals.{name}",
                              f"Total déclaré faux ({fr}) : {got}, alors que les lignes du rapport font {want}.",
                              f"Wrong declared total ({name}): {got}, while the report's entries add up to {want}."))
