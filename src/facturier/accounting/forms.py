"""Forms of the accounting screens."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from facturier.accounting.models import AccountingSettings, ExportFormat
from facturier.web.forms import DateInput

MONTHS = [(i, dt.date(2000, i, 1).strftime("%m")) for i in range(1, 13)]


def _pairs(text: str, field: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise forms.ValidationError(_("One “key = account” per line (“%(line)s”)."), params={"line": line})
        out[key.strip()] = value.strip()
    return out


def _text(mapping: dict) -> str:
    return "\n".join(f"{k} = {v}" for k, v in sorted(mapping.items()))


class SettingsForm(forms.ModelForm):
    vat_accounts_text = forms.CharField(
        label=_("Collected VAT account per rate"), widget=forms.Textarea(attrs={"rows": 5}), required=False,
        help_text=_("One “category|rate = account” per line, e.g. S|20.00 = 445712. A rate missing here stops the "
                    "transfer of a document using it."))
    revenue_accounts_text = forms.CharField(
        label=_("Revenue accounts per category and rate"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
        help_text=_("Optional, e.g. services|S|10.00 = 706100 or goods = 707100; otherwise 706 / 707 above."))
    family_accounts_text = forms.CharField(
        label=_("Revenue account per item family"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
        help_text=_("Optional, one “family = account” per line, e.g. TRAINING = 706300 or BOOKS = 707100: the lines "
                    "of that item family go to that account; lines of another family or none go to the accounts "
                    "above."))
    bank_accounts_text = forms.CharField(
        label=_("Bank account per payment method"), widget=forms.Textarea(attrs={"rows": 6}), required=False,
        help_text=_("e.g. transfer = 512000, cash = 530000."))

    class Meta:
        model = AccountingSettings
        fields = ["fiscal_year_start_month", "sales_journal", "sales_journal_label", "bank_journal",
                  "bank_journal_label", "misc_journal", "misc_journal_label", "customer_account",
                  "customer_aux_prefix", "services_account", "goods_account", "vat_pending_account",
                  "deposits_account", "discount_account", "write_off_account", "export_format"]
        widgets = {"fiscal_year_start_month": forms.Select(choices=MONTHS)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["export_format"].choices = ExportFormat.choices
        if not self.is_bound:
            self.initial.update(vat_accounts_text=_text(self.instance.vat_accounts),
                                revenue_accounts_text=_text(self.instance.revenue_accounts),
                                family_accounts_text=_text(self.instance.family_accounts),
                                bank_accounts_text=_text(self.instance.bank_accounts))

    def values(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["vat_accounts"] = _pairs(self.cleaned_data["vat_accounts_text"], "vat")
        data["revenue_accounts"] = _pairs(self.cleaned_data["revenue_accounts_text"], "revenue")
        data["family_accounts"] = _pairs(self.cleaned_data["family_accounts_text"], "family")
        data["bank_accounts"] = _pairs(self.cleaned_data["bank_accounts_text"], "bank")
        return data

    def clean(self):
        data = super().clean()
        for name in ("vat_accounts_text", "revenue_accounts_text", "family_accounts_text", "bank_accounts_text"):
            try:
                _pairs(data.get(name) or "", name)
            except forms.ValidationError as e:
                self.add_error(name, e)
        return data


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To"), widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("The end of the period is before its start."))
        return data


class ExportForm(PeriodForm):
    format = forms.ChoiceField(label=_("Format"), choices=ExportFormat.choices)
