"""The Chorus Pro screens (mounted under settings/chorus/ in the web app's namespace)."""

from django.urls import path

from facturier.platforms.chorus import views

urlpatterns = [
    path("", views.chorus_settings, name="settings_chorus"),
    path("test/", views.chorus_test, name="settings_chorus_test"),
    path("buyers/<int:customer_id>/", views.chorus_buyer, name="settings_chorus_buyer"),
    path("buyers/<int:customer_id>/fetch/", views.chorus_buyer_fetch, name="settings_chorus_buyer_fetch"),
    path("submissions/<int:pk>/decide/", views.chorus_decide, name="chorus_decide"),
    path("submissions/<int:pk>/refresh/", views.chorus_refresh, name="chorus_refresh"),
]
