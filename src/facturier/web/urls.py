from django.urls import path

from facturier.web.views import auth, customers, documents, editor, mail, operator, settings

app_name = "web"

urlpatterns = [
    path("", documents.dashboard, name="dashboard"),
    # sign-in
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("password/reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", auth.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password/reset/done/", auth.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("2fa/", auth.otp_verify, name="otp_verify"),
    path("2fa/setup/", auth.otp_enrol, name="otp_enrol"),
    path("organisation/", auth.organisation_switch, name="organisation_switch"),
    path("language/", auth.language_switch, name="language"),
    # documents
    path("documents/new/", editor.document_new, name="document_new"),
    path("documents/recompute/", editor.recompute, name="recompute"),
    path("documents/line/", editor.line_row, name="line_row"),
    path("documents/batch/", documents.batch, name="batch"),
    path("documents/<int:pk>/", documents.document_detail, name="document"),
    path("documents/<int:pk>/edit/", editor.document_edit, name="document_edit"),
    path("documents/<int:pk>/issue/", documents.document_issue_view, name="document_issue"),
    path("documents/<int:pk>/delete/", documents.document_delete_view, name="document_delete"),
    path("documents/<int:pk>/pdf/", documents.document_pdf_view, name="document_pdf"),
    path("documents/<int:pk>/facturx/", documents.document_facturx_view, name="document_facturx"),
    path("documents/<int:pk>/payments/", documents.document_payments, name="document_payments"),
    path("documents/<int:pk>/payments/<int:payment_id>/cancel/", documents.payment_cancel_view,
         name="payment_cancel"),
    path("documents/<int:pk>/write-off/", documents.document_write_off, name="document_write_off"),
    path("documents/<int:pk>/credit-note/", documents.document_credit_note, name="document_credit_note"),
    path("documents/<int:pk>/send/", documents.document_send, name="document_send"),
    path("documents/<int:pk>/delivery/decide/", documents.document_delivery_decide, name="document_delivery_decide"),
    path("documents/<int:pk>/history/", documents.document_history, name="document_history"),
    path("jobs/<int:pk>/", documents.job_view, name="job"),
    path("jobs/<int:pk>/zip/", documents.job_zip, name="job_zip"),
    # customers
    path("customers/", customers.customer_list_view, name="customers"),
    path("customers/search/", editor.customer_search, name="customer_search"),
    path("customers/new/", customers.customer_new, name="customer_new"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer"),
    path("customers/<int:pk>/edit/", customers.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/addresses/", customers.customer_address_add, name="customer_address_add"),
    path("customers/<int:pk>/consent/", customers.customer_consent, name="customer_consent"),
    # settings
    path("settings/", settings.settings_index, name="settings"),
    path("settings/organisation/", settings.settings_organisation, name="settings_organisation"),
    path("settings/legal/", settings.settings_legal, name="settings_legal"),
    path("settings/series/", settings.settings_series, name="settings_series"),
    path("settings/certificate/", settings.settings_certificate, name="settings_certificate"),
    path("settings/members/", settings.settings_member_add, name="settings_member_add"),
    path("settings/members/<int:pk>/", settings.settings_member_update, name="settings_member_update"),
    path("settings/logo/", settings.settings_logo, name="settings_logo"),
    path("settings/security/", settings.settings_security, name="settings_security"),
    path("settings/archive/", settings.settings_archive, name="settings_archive"),
    path("settings/mail/", mail.mail_settings, name="settings_mail"),
    path("settings/mail/test/", mail.mail_test, name="settings_mail_test"),
    path("settings/mail/bounces/test/", mail.mail_bounce_test, name="settings_mail_bounce_test"),
    path("settings/mail/template/", mail.mail_template, name="settings_mail_template"),
    path("settings/consent/", mail.consent_campaign, name="settings_consent"),
    path("settings/consent/send/", mail.consent_send, name="settings_consent_send"),
    path("settings/consent/letters/<str:token>/", mail.consent_letters, name="settings_consent_letters"),
    # platform operators
    path("operator/", operator.operator, name="operator"),
]
