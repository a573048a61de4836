"""The customer portal, mounted under /portal/ by the project's urls: one space per organisation."""

from django.urls import path

from facturier.portal import views

app_name = "portal"

urlpatterns = [
    path("<slug:slug>/", views.home, name="home"),
    path("<slug:slug>/login/", views.login, name="login"),
    path("<slug:slug>/logout/", views.logout, name="logout"),
    path("<slug:slug>/2fa/", views.otp_verify, name="otp_verify"),
    path("<slug:slug>/security/", views.security_settings, name="security"),
    path("<slug:slug>/password/", views.password_request, name="password_request"),
    path("<slug:slug>/welcome/<str:token>/", views.welcome, name="welcome"),
    path("<slug:slug>/language/", views.language, name="language"),
    path("<slug:slug>/logo/", views.logo, name="logo"),
    path("<slug:slug>/consent/", views.consent, name="consent"),
    path("<slug:slug>/documents/<int:pk>/", views.document, name="document"),
    path("<slug:slug>/documents/<int:pk>/<str:kind>/", views.download, name="download"),
]
