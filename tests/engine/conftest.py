"""Shared fixtures of the engine tests: where the official material lives.

Official files are read in place from ../shared (never copied into the repository); tests
that need them skip with a reason when that folder is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DIR = (Path(__file__).resolve().parents[2] / ".." / "shared").resolve()
"""The sibling folder holding official conformance material and the referee."""
CONFORMANCE_DIR = SHARED_DIR / "conformance"
"""EN 16931, Factur-X/ZUGFeRD, XRechnung and French CTC artefacts and examples."""
ORACLE = SHARED_DIR / "tools" / "einvoice-oracle" / "einvoice-oracle"
"""The referee: `einvoice-oracle [--fr] [--xrechnung] --json FILE...`."""


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    """The official conformance folder; skips the test when it is not there."""
    if not CONFORMANCE_DIR.is_dir():
        pytest.skip(f"official conformance material not found at {CONFORMANCE_DIR}")
    return CONFORMANCE_DIR


@pytest.fixture(scope="session")
def oracle_path() -> Path:
    """The referee executable; skips the test when it is not there."""
    if not ORACLE.is_file():
        pytest.skip(f"einvoice-oracle not found at {ORACLE}")
    return ORACLE
