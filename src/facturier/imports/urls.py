"""Import screens (mounted under /imports/ by the project's urls)."""

from django.urls import path

from facturier.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("upload/", views.import_upload, name="upload"),
    path("<int:pk>/", views.import_report, name="report"),
]
