from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Organisation
from facturier.billing.models import Plan, State


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = ["name", "period_months", "included_invoices", "tranche_size", "tranche_price", "base_price",
                  "sealing", "email_delivery", "archive", "platform_transmission", "connectors", "api", "is_active"]


class SubscriptionForm(forms.Form):
    plan = forms.ModelChoiceField(label=_("Plan"), queryset=Plan.objects.all())
    state = forms.ChoiceField(label=_("State"), choices=[c for c in State.choices if c[0] != State.TERMINATED])
    anniversary = forms.DateField(label=_("Anniversary"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}),
                                  help_text=_("For a new subscription; empty: today."))


class OperatorForm(forms.Form):
    operator_organisation = forms.ModelChoiceField(label=_("Operator organisation"), required=False,
                                                   queryset=Organisation.objects.order_by("name"),
                                                   help_text=_("It invoices the subscribers at each period end."))


class StatementFilter(forms.Form):
    q = forms.CharField(label=_("Name or short name"), required=False, max_length=100)
    plan = forms.ModelChoiceField(label=_("Plan"), queryset=Plan.objects.all(), required=False,
                                  empty_label=_("All plans"))
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("All states")), *State.choices])
    renews_before = forms.DateField(label=_("Renews before"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
