"""The accounting screens (mounted under accounting/ in the web app's namespace)."""

from django.urls import path

from facturier.accounting import views

urlpatterns = [
    path("", views.accounting_home, name="accounting"),
    path("transfer/", views.accounting_transfer, name="accounting_transfer"),
    path("transfers/<int:pk>/<str:action>/", views.accounting_transfer_action, name="accounting_transfer_action"),
    path("jobs/<int:pk>/", views.accounting_job, name="accounting_job"),
    path("export/", views.accounting_export, name="accounting_export"),
    path("settings/", views.accounting_settings, name="accounting_settings"),
]
