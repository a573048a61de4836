"""Fixtures of the archive engine tests (factories in archive_factories.py)."""

from __future__ import annotations

import pytest
from archive_factories import LocalTsa, make_tsa

from facturier.engine.archive import DataKey, OperatorKey


@pytest.fixture(scope="session")
def tsa() -> LocalTsa:
    """The fast local TSA (ECDSA P-256)."""
    return make_tsa()


@pytest.fixture(scope="session")
def rsa_tsa() -> LocalTsa:
    """pyHanko's DummyTimeStamper (RSA): an independent RFC 3161 implementation."""
    return make_tsa("Facturier Test RSA TSA", rsa_dummy=True)


@pytest.fixture(scope="session")
def operator() -> OperatorKey:
    return OperatorKey.generate()


@pytest.fixture(scope="session")
def master_key() -> bytes:
    return bytes(range(32))


@pytest.fixture
def data_key() -> DataKey:
    return DataKey.generate("org-42")
