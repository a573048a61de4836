"""The demo organisation has three running contracts (monthly in advance, quarterly in arrears with a price
revision, yearly) whose first invoices are already generated, and running the demo again adds none."""

import pytest
from django.core.management import call_command

from facturier.contracts.models import Contract, ContractPeriod, ContractState, Outcome
from facturier.invoicing.mapping import document_to_invoice

pytestmark = pytest.mark.django_db


def test_the_demo_has_three_running_contracts_with_generated_invoices():
    call_command("demo")
    call_command("demo")
    contracts = Contract.objects.filter(organisation__slug="demo").order_by("name")
    assert contracts.count() == 3 and {c.state for c in contracts} == {ContractState.RUNNING}
    assert {(c.frequency, c.timing) for c in contracts} == {("monthly", "advance"), ("quarterly", "arrears"),
                                                          ("yearly", "advance")}
    periods = ContractPeriod.objects.filter(contract__in=contracts)
    assert periods.filter(outcome=Outcome.ISSUED).count() >= 4  # three or four months, and the year
    assert periods.filter(outcome=Outcome.DRAFT).count() >= 4  # the quarters already ended
    quarterly = contracts.get(frequency="quarterly")
    prices = [p.document.lines.first().unit_price for p in quarterly.periods.order_by("start")]
    assert prices[0] < prices[-1]  # revised after the first anniversary
    issued = periods.filter(outcome=Outcome.ISSUED).first().document
    period = document_to_invoice(issued).invoicing_period
    assert period.start and period.end and period.start < period.end
