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
        return text % self.params if self.params else text

    def __str__(self) -> str:
        return self.message
