"""The company's side of the portal, mounted under /portal-admin/ (links from the company screens)."""

from django.urls import path

from facturier.portal import admin_views

app_name = "portal_admin"

urlpatterns = [
    path("customers/<int:customer_id>/", admin_views.customer_access, name="customer"),
    path("invite/<int:contact_id>/", admin_views.invite, name="invite"),
    path("revoke/<int:contact_id>/", admin_views.revoke, name="revoke"),
    path("branding/", admin_views.branding, name="branding"),
]
