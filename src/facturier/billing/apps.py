from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "facturier.billing"
    label = "billing"
    verbose_name = _("Plans and metering")

    def ready(self) -> None:
        from facturier.accounts.signals import organisation_terminated

        organisation_terminated.connect(_terminated, dispatch_uid="billing-subscription-terminated")


def _terminated(sender, *, organisation_id: int, at, **kwargs) -> None:
    """A terminated organisation's subscription stops counting and billing from the termination."""
    from facturier.accounts.models import Organisation
    from facturier.billing.services import subscription_terminate

    subscription_terminate(Organisation.objects.get(pk=organisation_id), at)
