"""The engine's error hierarchy.

Every error carries a message in French and in English, so the application can show the
user's language without the engine knowing anything about requests or settings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Message:
    """One human message, in both languages the product speaks."""

    fr: str
    en: str

    def in_language(self, language: str) -> str:
        return self.fr if (language or "fr").lower().startswith("fr") else self.en

    def __str__(self) -> str:
        return self.en


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    def __init__(self, message: Message, *, detail: str | None = None):
        super().__init__(message.en if detail is None else f"{message.en} ({detail})")
        self.message = message
        self.detail = detail


class InputError(EngineError):
    """The input cannot be read: malformed, hostile, too large or of the wrong kind."""


class MalformedXML(InputError):
    """The bytes are not well-formed XML (or use forbidden constructs such as DTDs)."""


class UnsupportedDocument(InputError):
    """Well-formed, but not a document the engine knows (neither CII nor UBL invoice)."""


class InputTooLarge(InputError):
    """The input exceeds the configured size limit."""


class PdfError(InputError):
    """The PDF cannot be opened, or carries no usable invoice XML."""


class ConversionRefused(EngineError):
    """A conversion would lose data or write an invalid document; ``force`` writes it anyway."""


class RuleSetUnavailable(EngineError):
    """An official rule set could not be loaded or crashed: never a pass."""


class CalculationError(EngineError):
    """Amounts cannot be computed from the given data (e.g. a missing VAT rate)."""
