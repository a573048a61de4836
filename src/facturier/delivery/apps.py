from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "facturier.delivery"
    label = "delivery"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("Delivery")

    def ready(self) -> None:
        from facturier.config.leases import Outbox, register_outbox
        from facturier.delivery.models import OutboxMessage
        from facturier.delivery.outbox import outbox_recovered

        register_outbox(Outbox(OutboxMessage, after_recovery=outbox_recovered))

        from django.db.models.signals import post_save

        from facturier.audit.models import Event
        from facturier.delivery.connectors.outbox import transfers_recovered
        from facturier.delivery.connectors.services import audit_event_saved, connect_import_signal
        from facturier.delivery.models import ConnectorTransfer

        register_outbox(Outbox(ConnectorTransfer, after_recovery=transfers_recovered))
        post_save.connect(audit_event_saved, sender=Event, dispatch_uid="connectors-on-issue")
        connect_import_signal()
