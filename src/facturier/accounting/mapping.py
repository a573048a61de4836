"""The account mapping: defaults on the French chart of accounts, and which account each amount goes to."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from django.utils.translation import gettext_lazy as _

from facturier.errors import FacturierError

ZERO = Decimal("0.00")

# The French standard rates; another rate (8.5 % or 2.1 % in the overseas departments, 13 % or 0.9 % in
# Corsica…) has to be mapped in the settings before a document using it is transferred.
DEFAULT_VAT_ACCOUNTS = {"S|20.00": "445712", "S|10.00": "445711", "S|5.50": "445705", "S|2.10": "445702"}
DEFAULT_BANK_ACCOUNTS = {"transfer": "512000", "direct_debit": "512000", "card": "512000", "cheque": "512000",
                         "cash": "530000", "other": "512000"}

ACCOUNT_LABELS = [  # longest prefix first
    ("445740", "TVA collectée sur encaissements en attente"), ("44571", "TVA collectée"), ("4457", "TVA collectée"),
    ("4191", "Clients - avances et acomptes reçus"), ("411", "Clients"), ("706", "Prestations de services"),
    ("707", "Ventes de marchandises"), ("708", "Produits des activités annexes"),
    ("6714", "Créances devenues irrécouvrables"), ("654", "Pertes sur créances irrécouvrables"),
    ("665", "Escomptes accordés"), ("512", "Banque"), ("53", "Caisse"), ("7", "Produits"), ("6", "Charges"),
]


class MappingMissing(FacturierError):
    code = "accounting_mapping_missing"


class AccountingRefused(FacturierError):
    code = "accounting_refused"


def account_label(account: str) -> str:
    for prefix, label in ACCOUNT_LABELS:
        if account.startswith(prefix):
            return label
    return account


@lru_cache(maxsize=4096)
def rate_key(category: str, rate) -> str:
    if rate in (None, ""):
        return category
    return f"{category}|{Decimal(str(rate)).quantize(Decimal('0.01'))}"


class Mapping:
    """The settings of one organisation, read once per transfer (no query per document)."""

    def __init__(self, s):
        self.s = s
        self.vat = {**s.vat_accounts}
        self.revenue = {**s.revenue_accounts}
        self.families = {**s.family_accounts}
        self.bank = {**DEFAULT_BANK_ACCOUNTS, **s.bank_accounts}
        self.journals = {"sales": (s.sales_journal, s.sales_journal_label),
                         "bank": (s.bank_journal, s.bank_journal_label),
                         "misc": (s.misc_journal, s.misc_journal_label)}

    def customer(self, code: str) -> str:
        return f"{self.s.customer_aux_prefix}{code}"

    def revenue_account(self, operation: str, category: str, rate) -> str:
        found = self.revenue.get(f"{operation}|{rate_key(category, rate)}") or self.revenue.get(operation)
        if found:
            return found
        return self.s.goods_account if operation == "goods" else self.s.services_account

    def vat_account(self, category: str, rate, document: str) -> str:
        key = rate_key(category, rate)
        account = self.vat.get(key)
        if not account:
            raise MappingMissing(_("No collected-VAT account is mapped for the VAT rate %(rate)s %% (category "
                                   "%(category)s), used by %(document)s: map it in the accounting settings. "
                                   "Nothing was transferred."), rate=rate, category=category, document=document)
        return account

    def bank_account(self, method: str) -> str:
        return self.bank.get(method) or self.bank["transfer"]
