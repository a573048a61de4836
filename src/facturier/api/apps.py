"""The REST API (django-ninja) under /api/v1/: API keys and scopes, idempotency, outgoing webhooks."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "facturier.api"
    label = "api"
    verbose_name = _("API")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from facturier.api import webhook_events
        from facturier.api.models import WebhookDelivery
        from facturier.api.webhook_sender import webhooks_recovered
        from facturier.config.leases import Outbox, register_outbox

        webhook_events.connect()  # audit events → webhook events, in the transaction of the change
        register_outbox(Outbox(WebhookDelivery, after_recovery=webhooks_recovered))
