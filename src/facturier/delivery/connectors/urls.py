"""The connectors' settings screens (mounted under settings/connectors/ in the web app's namespace)."""

from django.urls import path

from facturier.delivery.connectors import views

urlpatterns = [
    path("", views.connector_list, name="settings_connectors"),
    path("new/", views.connector_edit, name="settings_connector_new"),
    path("<int:pk>/", views.connector_detail, name="settings_connector"),
    path("<int:pk>/edit/", views.connector_edit, name="settings_connector_edit"),
    path("<int:pk>/test/", views.connector_test_view, name="settings_connector_test"),
    path("<int:pk>/enable/", views.connector_enable_view, name="settings_connector_enable"),
    path("<int:pk>/repin/", views.connector_repin_view, name="settings_connector_repin"),
    path("<int:pk>/export/", views.connector_export_view, name="settings_connector_export"),
    path("<int:pk>/transfers/<int:transfer_id>/decide/", views.transfer_decide_view,
         name="settings_connector_decide"),
]
