"""Shared fixtures of the engine tests: where the official material lives.

Official files are the repository's copy in conformance/; only the tests that call the
referee (../shared/tools/einvoice-oracle) skip, saying so, when it is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DIR = (Path(__file__).resolve().parents[2] / ".." / "shared").resolve()
"""The sibling folder holding the referee (absent from a fresh clone)."""
CONFORMANCE_DIR = Path(__file__).resolve().parents[2] / "conformance"
"""EN 16931, Factur-X/ZUGFeRD, XRechnung and French CTC artefacts and examples."""
ORACLE = SHARED_DIR / "tools" / "einvoice-oracle" / "einvoice-oracle"
"""The referee: `einvoice-oracle [--fr] [--xrechnung] --json FILE...`."""


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    """The repository's official conformance folder (part of every clone)."""
    assert CONFORMANCE_DIR.is_dir(), CONFORMANCE_DIR
    return CONFORMANCE_DIR


@pytest.fixture(scope="session")
def oracle_path() -> Path:
    """The referee executable; skips the test when it is not there."""
    if not ORACLE.is_file():
        pytest.skip(f"einvoice-oracle not found at {ORACLE}")
    return ORACLE


@pytest.fixture
def fake_dns(monkeypatch):
    """Give names answers of the test's choosing: `fake_dns({name: [first, second…]})` answers the
    n-th lookup of a name with the n-th address (the last one repeated), passes every other host to the
    real resolver, and returns the count of lookups per name."""
    import socket

    real = socket.getaddrinfo

    def install(answers: dict[str, list[str]]) -> dict[str, int]:
        calls: dict[str, int] = {}

        def getaddrinfo(host, port, *args, **kwargs):
            if host in answers:
                calls[host] = calls.get(host, 0) + 1
                return real(answers[host][min(calls[host], len(answers[host])) - 1], port, *args, **kwargs)
            return real(host, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        return calls

    return install
