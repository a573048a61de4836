from django.contrib import admin

from facturier.billing.models import OperatorSettings, PeriodUsage, Plan, Subscription, SubscriptionChange


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "period_months", "included_invoices", "tranche_size", "tranche_price", "base_price",
                    "is_active"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["organisation", "plan", "state", "period_start", "period_end", "tranche"]
    list_filter = ["state", "plan"]
    readonly_fields = ["period_start", "period_end", "tranche", "terminated_at"]


@admin.register(PeriodUsage)
class PeriodUsageAdmin(admin.ModelAdmin):
    list_display = ["subscription", "period_start", "period_end", "count", "tranche", "amount", "closed_at"]
    readonly_fields = ["count", "tranche", "amount", "closed_at", "invoice"]


@admin.register(SubscriptionChange)
class SubscriptionChangeAdmin(admin.ModelAdmin):
    list_display = ["subscription", "kind", "at", "count", "before", "after"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(OperatorSettings)
