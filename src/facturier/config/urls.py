from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import path

admin.site.site_header = "Facturier"
admin.site.site_title = "Facturier"

urlpatterns = [
    path("", lambda request: HttpResponseRedirect("/admin/"), name="home"),
    path("admin/", admin.site.urls),
]
