"""Settings → Approved platform (mounted under settings/platform/ in the web app's namespace)."""

from django.urls import path

from facturier.platforms import views

urlpatterns = [
    path("", views.connection_list, name="settings_platform"),
    path("new/", views.connection_edit, name="settings_platform_new"),
    path("<int:pk>/edit/", views.connection_edit, name="settings_platform_edit"),
    path("<int:pk>/test/", views.connection_test_view, name="settings_platform_test"),
    path("<int:pk>/webhook/", views.webhook_register_view, name="settings_platform_webhook"),
    path("<int:pk>/delete/", views.connection_delete_view, name="settings_platform_delete"),
]
