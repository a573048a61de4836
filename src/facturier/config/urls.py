from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import path

from facturier.documents.views import timestamp

admin.site.site_header = "Facturier"
admin.site.site_title = "Facturier"

urlpatterns = [
    path("", lambda request: HttpResponseRedirect("/admin/"), name="home"),
    path("admin/", admin.site.urls),
    path("tsa/", timestamp, name="tsa"),
]
