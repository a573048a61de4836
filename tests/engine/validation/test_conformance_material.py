"""The repository's copy of the official material: complete, unchanged, each source with its licence."""

from __future__ import annotations

import hashlib

import pytest

from facturier.engine.validation import schematron as sch
from facturier.engine.validation.material import DEFAULT_CONFORMANCE_DIR, conformance_dir
from facturier.engine.validation.xsd import CEN_CII_SCHEMA

MANIFEST = DEFAULT_CONFORMANCE_DIR / "MANIFEST.sha256"
SOURCES = {
    "en16931-1.3.16": "LICENSE.txt",
    "xrechnung-3.0.2": "LICENSE-testsuite",
    "fr-ctc-1.4.0.03": "LICENSE-EUPL-1.2.txt",
    "zugferd-2.5.2": "LICENSE-FeRD.txt",
    "facturx-lib-fixtures": "LICENSE.txt",
}


def manifest() -> dict[str, str]:
    entries = {}
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        entries[name.removeprefix("./")] = digest
    return entries


def test_every_file_matches_its_sha256_in_the_manifest():
    entries = manifest()
    assert len(entries) > 600
    wrong = [
        name
        for name, digest in entries.items()
        if hashlib.sha256((DEFAULT_CONFORMANCE_DIR / name).read_bytes()).hexdigest() != digest
    ]
    assert not wrong


def test_the_manifest_names_every_file_of_the_folder():
    on_disk = {
        p.relative_to(DEFAULT_CONFORMANCE_DIR).as_posix() for p in DEFAULT_CONFORMANCE_DIR.rglob("*") if p.is_file()
    }
    assert on_disk - {"MANIFEST.sha256"} == set(manifest())


@pytest.mark.parametrize(("source", "licence"), SOURCES.items())
def test_each_source_carries_its_licence_and_is_described(source, licence):
    assert (DEFAULT_CONFORMANCE_DIR / source / licence).is_file()
    readme = (DEFAULT_CONFORMANCE_DIR / "README.md").read_text(encoding="utf-8")
    assert f"`{source}/`" in readme and f"`{licence}`" in readme


def test_every_carried_rule_set_and_the_cen_schema_are_in_the_folder_the_engine_uses():
    assert conformance_dir() == DEFAULT_CONFORMANCE_DIR
    entries = manifest()
    carried = [rs.path for rs in sch.RULE_SETS.values() if rs.path]
    assert len(carried) == len(sch.RULE_SETS) - 1  # all but Peppol BIS 3
    assert set(carried) | {CEN_CII_SCHEMA[1]} <= set(entries)
