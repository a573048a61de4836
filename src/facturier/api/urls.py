"""The API keys' settings page (a company screen: session, second factor, manage-settings right)."""

from django.urls import path

from facturier.api import views

app_name = "apikeys"
urlpatterns = [
    path("", views.api_keys, name="list"),
    path("new/", views.api_key_create, name="create"),
    path("<int:pk>/revoke/", views.api_key_revoke, name="revoke"),
]
