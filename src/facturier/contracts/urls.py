"""Contract screens (mounted under /contracts/ by the project's urls)."""

from django.urls import path

from facturier.contracts import views

app_name = "contracts"

urlpatterns = [
    path("", views.contract_list, name="list"),
    path("new/", views.contract_new, name="new"),
    path("settings/", views.contract_settings, name="settings"),
    path("<int:pk>/", views.contract_detail, name="detail"),
    path("<int:pk>/edit/", views.contract_edit, name="edit"),
    path("<int:pk>/<str:verb>/", views.contract_state, name="state"),
]
