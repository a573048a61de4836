from django.contrib import admin

from facturier.accounts.tenancy import TenantScopedAdmin
from facturier.audit.models import Event


@admin.register(Event)
class EventAdmin(TenantScopedAdmin):
    """Read-only: the audit log is append-only, even for superusers."""

    list_display = ["at", "organisation", "actor_label", "action", "subject_label"]
    list_filter = ["action"]
    search_fields = ["subject_label", "actor_label", "action"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
