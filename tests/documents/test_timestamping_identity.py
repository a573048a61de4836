"""The operator's time-stamp authority identity is created once, even by workers starting together."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from cryptography.hazmat.primitives import serialization

from facturier.documents.timestamping import operator_identity


def test_workers_starting_together_on_a_fresh_data_directory_share_one_identity(settings, tmp_path):
    settings.DATA_DIR = tmp_path

    with ThreadPoolExecutor(8) as pool:
        identities = list(pool.map(lambda _: operator_identity(), range(8)))

    certificates = {i.certificate.public_bytes(serialization.Encoding.DER) for i in identities}
    assert len(certificates) == 1
    assert certificates == {operator_identity().certificate.public_bytes(serialization.Encoding.DER)}
    assert sorted(p.name for p in (tmp_path / "tsa").iterdir()) == ["operator-tsa.p12.sealed"]
