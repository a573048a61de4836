from django.contrib import admin

from facturier.accounts.tenancy import TenantScopedAdmin
from facturier.portal.models import PortalAccount, PortalBranding


@admin.register(PortalAccount)
class PortalAccountAdmin(TenantScopedAdmin):
    """Read and close accesses here; invitations go through the service (the company screens or the command)."""

    edit_right = "can_send"
    list_display = ["email", "customer", "organisation", "is_active", "totp_confirmed", "activated_at", "last_login"]
    list_filter = ["is_active", "totp_confirmed"]
    search_fields = ["email", "customer__code", "customer__name"]
    fields = ["organisation", "customer", "contact", "email", "language", "is_active", "totp_confirmed",
              "invited_by", "created_at", "activated_at"]
    readonly_fields = ["organisation", "customer", "contact", "email", "totp_confirmed", "invited_by",
                       "created_at", "activated_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PortalBranding)
class PortalBrandingAdmin(TenantScopedAdmin):
    list_display = ["organisation", "accent_colour"]
