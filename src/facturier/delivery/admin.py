from django.contrib import admin

from facturier.accounts.tenancy import TenantScopedAdmin
from facturier.delivery.models import (
    ConsentAnswer,
    Delivery,
    DeliveryEvent,
    MailSettings,
    MailTemplate,
    Notification,
    OutboxMessage,
)


@admin.register(MailSettings)
class MailSettingsAdmin(TenantScopedAdmin):
    list_display = ["organisation", "host", "port", "security", "sender_address", "duplicate_policy"]
    exclude = ["password", "imap_password"]


@admin.register(MailTemplate)
class MailTemplateAdmin(TenantScopedAdmin):
    list_display = ["organisation", "kind", "language", "subject"]
    list_filter = ["kind", "language"]


class DeliveryEventInline(admin.TabularInline):
    model = DeliveryEvent
    extra = 0
    readonly_fields = ["at", "state", "detail", "message"]
    can_delete = False


class ReadOnlyAdmin(TenantScopedAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["document", "state", "recipient", "correction_deadline", "postal_date", "updated_at"]
    list_filter = ["state"]
    search_fields = ["document__number", "recipient"]
    inlines = [DeliveryEventInline]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["message_id", "kind", "document", "customer", "state", "attempts", "sent_at", "last_error"]
    list_filter = ["state", "kind"]
    search_fields = ["message_id", "document__number", "customer__code"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "text", "document", "read_at"]


@admin.register(ConsentAnswer)
class ConsentAnswerAdmin(ReadOnlyAdmin):
    list_display = ["at", "customer", "accepted", "email", "origin", "remote_address"]
