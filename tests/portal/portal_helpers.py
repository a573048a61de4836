"""Helpers of the portal tests (a unique module name: the suite imports test helpers by basename)."""

from __future__ import annotations

PASSWORD = "Tulipe-rouge-2026!"


def token_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]
