"""Fixtures of the life-cycle message tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from cdar_material import XSD_DIR


@pytest.fixture(scope="session")
def xsd_dir() -> Path:
    """The CDAR D22B XSD folder in ../shared/specs; skips the test, saying so, when it is absent."""
    if not (XSD_DIR / "CrossDomainAcknowledgementAndResponse_100pD22B.xsd").is_file():
        pytest.skip(f"CDAR D22B XSD not found at {XSD_DIR} (../shared/specs absent): the XSD part is not checked")
    return XSD_DIR
