"""Accepting an invitation to an organisation: the invitee decides, signed in as the invited address."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login, password_validation
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.accounts.invitations import (
    InvitationInvalid,
    invitation_accept,
    invitation_accept_new_user,
    invitation_find,
)
from facturier.accounts.models import User
from facturier.web.middleware import SESSION_KEY


class NewAccountForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=150, required=False)
    password1 = forms.CharField(label=gettext_lazy("Password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=password_validation.password_validators_help_text_html())
    password2 = forms.CharField(label=gettext_lazy("Password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ. Type the same password twice."))
        return data


def invitation(request, token: str):
    """One page per state: unknown or spent link; sign in as the invited address; accept; choose a password."""
    pending = invitation_find(token=token)
    if pending is None:
        return render(request, "web/auth/invitation.html", {"invalid": True}, status=404)
    context = {"invitation": pending}
    existing = User.objects.filter(email__iexact=pending.email).first()
    if existing is not None:
        if not request.user.is_authenticated or request.user.pk != existing.pk:
            context["sign_in_url"] = f"{reverse('web:login')}?{urlencode({'next': request.path})}"
            context["signed_in_as"] = request.user.email if request.user.is_authenticated else ""
            return render(request, "web/auth/invitation.html", context, status=403 if context["signed_in_as"] else 200)
        if request.method == "POST":
            try:
                membership = invitation_accept(token=token, user=request.user)
            except InvitationInvalid as e:
                messages.error(request, e.message)
                return redirect("web:dashboard")
            return _joined(request, membership)
        return render(request, "web/auth/invitation.html", context)
    form = NewAccountForm(request.POST or None, initial={"full_name": pending.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            membership = invitation_accept_new_user(token=token, password=form.cleaned_data["password1"],
                                                    full_name=form.cleaned_data["full_name"])
        except ValidationError as e:
            form.add_error("password1", e)
        except InvitationInvalid as e:
            form.add_error(None, e.message)
        else:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            return _joined(request, membership)
    context["form"] = form
    return render(request, "web/auth/invitation.html", context, status=422 if form.errors else 200)


def _joined(request, membership):
    request.session[SESSION_KEY] = membership.organisation_id
    messages.success(request, _("Welcome to %(org)s.") % {"org": membership.organisation.name})
    return redirect("web:dashboard")
