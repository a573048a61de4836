from django.contrib import admin

from facturier.platforms.ereporting.models import EReport, EReportingProfile


@admin.register(EReportingProfile)
class EReportingProfileAdmin(admin.ModelAdmin):
    list_display = ["organisation", "regime", "start_date", "auto_submit"]


@admin.register(EReport)
class EReportAdmin(admin.ModelAdmin):
    list_display = ["report_id", "organisation", "flow", "period_start", "period_end", "due_date", "nature", "state"]
    list_filter = ["state", "flow", "nature"]
    readonly_fields = [f.name for f in EReport._meta.fields]
