from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from facturier.accounts.models import Authenticator, LegalProfile, Membership, Organisation, User
from facturier.accounts.tenancy import TenantScopedAdmin


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_platform_operator", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name", "language"]}),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_platform_operator", "is_superuser", "groups",
                                       "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    def get_readonly_fields(self, request, obj=None):
        # The platform roles are the platform administrator's to give, never an organisation's.
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_staff", "is_platform_operator", "is_superuser", "groups", "user_permissions"]
        return fields

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(memberships__organisation__memberships__user=request.user).distinct()


class LegalProfileInline(admin.StackedInline):
    model = LegalProfile
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser  # organisations invite their members from the settings screen


@admin.register(Organisation)
class OrganisationAdmin(TenantScopedAdmin):
    tenant_path = "pk"
    list_display = ["name", "slug", "default_language", "vat_regime", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [LegalProfileInline, MembershipInline]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(LegalProfile)
class LegalProfileAdmin(TenantScopedAdmin):
    list_display = ["legal_name", "organisation", "effective_from", "siren", "vat_number"]
    list_filter = ["effective_from"]
    search_fields = ["legal_name", "siren", "siret"]


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ["user", "organisation", "role", "can_issue", "can_send", "can_record_payments", "is_active"]
    list_filter = ["role", "is_active"]
    autocomplete_fields = ["user"]

    def has_add_permission(self, request):
        # Nobody joins an organisation by someone else's decision: members are invited (settings screen)
        # and accept; only a platform administrator adds a membership directly.
        return request.user.is_superuser


# django-otp's TOTP devices keep their keys in clear: company users' authenticators are `Authenticator`
# rows (sealed keys), so the clear-text kind is neither shown nor created here.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    """A platform administrator removes the authenticator of a user who lost it (the key itself never shows)."""

    list_display = ["user", "name", "confirmed", "last_used_at"]
    search_fields = ["user__email"]
    fields = ["user", "name", "confirmed", "last_used_at"]
    readonly_fields = fields

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
