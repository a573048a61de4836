"""The contract form: the calendar, the action, and (from scratch or when editing) the lines."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from facturier.contracts.models import Action, Frequency, Timing
from facturier.web.forms import DateInput

LINE_ROWS = 5


class ContractForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    customer = forms.TypedChoiceField(label=_("Customer"), coerce=int)
    reference = forms.CharField(label=_("Contract reference (on each invoice)"), max_length=100, required=False)
    start_date = forms.DateField(label=_("Start date (first period)"), widget=DateInput())
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices)
    every_months = forms.IntegerField(label=_("Every N months (for “every N months”)"), min_value=1, max_value=120,
                                      initial=1, required=False)
    timing = forms.ChoiceField(label=_("Invoicing"), choices=Timing.choices)
    day_of_month = forms.IntegerField(label=_("Day of the month (31: the last day)"), min_value=1, max_value=31,
                                      required=False)
    end_date = forms.DateField(label=_("End date (optional)"), widget=DateInput(), required=False)
    occurrences = forms.IntegerField(label=_("Number of invoices (optional)"), required=False)
    revision_percent = forms.DecimalField(label=_("Price revision at each anniversary (%, optional)"),
                                          max_digits=6, decimal_places=3, required=False)
    action = forms.ChoiceField(label=_("Each generated invoice"), choices=Action.choices)

    def __init__(self, *args, customers=(), with_lines=True, calendar_fixed=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [(c.pk, f"{c.code} — {c.name}") for c in customers]
        if calendar_fixed:
            for name in ("customer", "start_date", "frequency", "every_months", "timing", "day_of_month"):
                self.fields[name].disabled = True
        self.with_lines = with_lines
        if with_lines:
            for i in range(LINE_ROWS):
                required = i == 0
                self.fields[f"line-{i}-name"] = forms.CharField(label=_("Item %(n)s") % {"n": i + 1},
                                                                max_length=200, required=required)
                self.fields[f"line-{i}-quantity"] = forms.DecimalField(label=_("Quantity"), required=required)
                self.fields[f"line-{i}-unit_price"] = forms.DecimalField(label=_("Unit price excl. VAT"),
                                                                         required=required)
                self.fields[f"line-{i}-vat_rate"] = forms.DecimalField(label=_("VAT rate (%)"), required=False,
                                                                       initial=Decimal("20"))

    def lines(self, existing: list[dict] | None = None) -> list[dict]:
        """The lines typed, each keeping what the form does not show (unit, discount...) of the line it edits."""
        existing = existing or []
        out = []
        for i in range(LINE_ROWS):
            name = self.cleaned_data.get(f"line-{i}-name")
            if not name:
                continue
            base = dict(existing[i]) if i < len(existing) else {}
            rate = self.cleaned_data.get(f"line-{i}-vat_rate")
            base.update(name=name, quantity=self.cleaned_data[f"line-{i}-quantity"],
                        unit_price=self.cleaned_data[f"line-{i}-unit_price"])
            if rate is not None:
                base["vat_rate"] = rate
            elif "vat_rate" not in base:
                base["vat_rate"] = Decimal("20")
            out.append(base)
        return out

    @staticmethod
    def line_initial(lines: list[dict]) -> dict:
        initial = {}
        for i, line in enumerate(lines[:LINE_ROWS]):
            for key in ("name", "quantity", "unit_price", "vat_rate"):
                initial[f"line-{i}-{key}"] = line.get(key)
        return initial
