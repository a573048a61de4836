from django.contrib import admin

from facturier.accounts.tenancy import TenantScopedAdmin
from facturier.platforms.chorus.models import ChorusAccount, ChorusBuyer, ChorusStatusEvent, ChorusSubmission


@admin.register(ChorusAccount)
class ChorusAccountAdmin(TenantScopedAdmin):
    list_display = ["organisation", "environment", "client_id", "login", "enabled", "tested_at"]
    exclude = ["client_secret", "password"]
    readonly_fields = ["enabled", "tested_at", "test_ok", "test_steps"]


@admin.register(ChorusBuyer)
class ChorusBuyerAdmin(TenantScopedAdmin):
    """What a public buyer's Chorus Pro structure requires (a service code, an engagement number)."""

    tenant_path = "customer__organisation"
    list_display = ["customer", "service_code_required", "engagement_required"]


class ChorusStatusEventInline(admin.TabularInline):
    model = ChorusStatusEvent
    extra = 0
    readonly_fields = ["at", "status", "reason", "recorded_at"]
    can_delete = False


@admin.register(ChorusSubmission)
class ChorusSubmissionAdmin(TenantScopedAdmin):
    list_display = ["document", "state", "flow_number", "status", "status_at", "attempts"]
    list_filter = ["state", "status"]
    readonly_fields = [f.name for f in ChorusSubmission._meta.fields]
    inlines = [ChorusStatusEventInline]
    edit_right = "can_send"

    def has_add_permission(self, request) -> bool:
        return False
