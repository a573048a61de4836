"""The application's error base: a typed error that speaks the user's language.

Services raise subclasses of FacturierError; views, API endpoints and commands turn them into
a message in the active language (French first) without parsing text.
"""

from __future__ import annotations

from typing import Any


class FacturierError(Exception):
    """An error a user can cause and understand."""

    code = "error"

    def __init__(self, message: Any, **params: Any):
        # message is a gettext_lazy proxy (English source); it is translated when read, not when raised,
        # so the same error renders in whichever language the request or command activated.
        self._message = message
        self.params = params
        super().__init__(str(message) % params if params else str(message))

    @property
    def message(self) -> str:
        text = str(self._message)
        return text % {name: localized(value) for name, value in self.params.items()} if self.params else text


def localized(value: Any) -> Any:
    """A date, time or decimal as the active language writes it (03/12/2026, 1 234,50 in French); the
    organisation's time zone for a moment. Anything else as it is."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import formats, timezone

    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, Decimal):
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    return value

    def __str__(self) -> str:
        return self.message
