from django.contrib import admin
from django.urls import include, path

from facturier.api.main import api
from facturier.documents.views import timestamp
from facturier.web.views.auth import admin_login

admin.site.site_header = "Facturier"
admin.site.site_title = "Facturier"
admin.site.login = admin_login  # one sign-in for the company side, with its throttle and second factor

urlpatterns = [
    path("admin/", admin.site.urls),
    path("tsa/", timestamp, name="tsa"),
    path("consent/", include("facturier.delivery.urls")),
    path("mail/", include("facturier.delivery.mailbox_urls")),
    path("portal/", include("facturier.portal.urls")),
    path("imports/", include("facturier.imports.urls")),
    path("contracts/", include("facturier.contracts.urls")),
    path("ereporting/", include("facturier.platforms.ereporting.urls")),
    path("portal-admin/", include("facturier.portal.admin_urls")),
    path("platforms/status/", include("facturier.platforms.status_urls")),
    path("api/v1/", api.urls),
    path("settings/api-keys/", include("facturier.api.urls")),
    path("", include("facturier.billing.urls")),
    path("", include("facturier.web.urls")),
]
