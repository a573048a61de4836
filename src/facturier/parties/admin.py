from django.contrib import admin

from facturier.accounts.tenancy import TenantScopedAdmin
from facturier.parties.models import Address, Contact, Customer


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class AddressInline(admin.TabularInline):
    model = Address
    extra = 0


@admin.register(Customer)
class CustomerAdmin(TenantScopedAdmin):
    edit_right = "can_edit"
    list_display = ["code", "name", "organisation", "siren", "preferred_channel", "accepts_einvoices"]
    list_filter = ["is_public_sector", "preferred_channel"]
    search_fields = ["code", "name", "siren", "siret", "vat_number"]
    inlines = [ContactInline, AddressInline]

    @admin.display(boolean=True, description=Customer._meta.get_field("consent_refused_on").verbose_name)
    def accepts_einvoices(self, obj):
        return obj.accepts_einvoices


@admin.register(Contact)
class ContactAdmin(TenantScopedAdmin):
    edit_right = "can_edit"
    tenant_path = "customer__organisation"
    list_display = ["name", "email", "customer", "receives_invoices"]
    search_fields = ["name", "email", "customer__code"]


@admin.register(Address)
class AddressAdmin(TenantScopedAdmin):
    edit_right = "can_edit"
    tenant_path = "customer__organisation"
    list_display = ["customer", "kind", "effective_from", "line1", "postcode", "city", "country"]
    list_filter = ["kind"]
