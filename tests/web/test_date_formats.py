"""The format modules of the screens: English dates never read as American, amounts as the
documents write them, and every form accepts what the screens show."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.template import Context, Template
from django.utils import formats, timezone, translation

DAY = dt.date(2026, 12, 6)
MOMENT = dt.datetime(2026, 12, 6, 14, 30, tzinfo=dt.UTC)


def _render(text: str, **context) -> str:
    return Template("{% load l10n %}" + text).render(Context(context))


@pytest.mark.parametrize(("language", "short", "long", "moment", "amount"), [
    ("en", "6 Dec 2026", "6 December 2026", "6 Dec 2026, 15:30", "1,234,567.50"),
    ("fr", "06/12/2026", "6 décembre 2026", "06/12/2026 15:30", "1\xa0234\xa0567,50"),
])
def test_screens_write_dates_times_and_amounts_the_languages_way(language, short, long, moment, amount):
    with translation.override(language), timezone.override("Europe/Paris"):
        assert _render('{{ d|date:"SHORT_DATE_FORMAT" }}', d=DAY) == short
        assert _render("{{ d|date }}", d=DAY) == long
        assert _render('{{ m|date:"SHORT_DATETIME_FORMAT" }}', m=timezone.localtime(MOMENT)) == moment
        assert _render('{{ a|floatformat:"2g" }}', a=Decimal("1234567.5")) == amount


def test_english_dates_name_the_month_so_that_day_and_month_cannot_be_swapped():
    with translation.override("en"):
        for day in (dt.date(2026, 6, 12), dt.date(2026, 12, 6), dt.date(2026, 1, 5)):
            text = formats.date_format(day, "SHORT_DATE_FORMAT")
            assert "/" not in text and day.strftime("%b") in text and str(day.day) == text.split()[0]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_date_field_accepts_what_the_screens_show_and_what_the_date_picker_sends(language):
    field = forms.DateField()
    with translation.override(language):
        for shown in (formats.date_format(DAY, "SHORT_DATE_FORMAT"), DAY.isoformat()):
            assert field.clean(shown) == DAY, shown
        if language == "en":
            # the long form, and the day-first form a French user types: never month first
            assert field.clean("6 December 2026") == DAY
            assert field.clean("06/12/2026") == DAY
        # a text input (the admin's) shows a value in the first input format, and takes it back
        widget_value = forms.DateInput().format_value(DAY)
        assert field.clean(widget_value) == DAY


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_date_time_field_accepts_what_the_screens_show(language):
    field = forms.DateTimeField()
    with translation.override(language), timezone.override("Europe/Paris"):
        local = timezone.localtime(MOMENT)
        shown = formats.date_format(local, "SHORT_DATETIME_FORMAT")
        assert field.clean(shown) == local


def test_messages_with_a_date_follow_the_language_too():
    from facturier.errors import localized

    with translation.override("en"):
        assert localized(DAY) == "6 Dec 2026"
    with translation.override("fr"):
        assert localized(DAY) == "06/12/2026"


def test_an_english_invitation_mail_gives_its_expiry_unambiguously(owner, mailoutbox, settings):
    from facturier.accounts.invitations import invitation_send

    settings.FACTURIER_BASE_URL = "https://factures.example"
    owner.organisation.default_language = "en"  # the invited person has no account yet: the org's language
    owner.organisation.save(update_fields=["default_language"])
    invitation = invitation_send(by=owner, email="new.colleague@example.com", role="clerk")
    [mail] = mailoutbox
    expires = timezone.localtime(invitation.expires_at)
    assert f"until {expires.day} {expires:%b} {expires.year}, {expires:%H:%M}" in mail.body
    assert f"{expires:%d/%m/%Y}" not in mail.body and f"{expires:%m/%d/%Y}" not in mail.body
