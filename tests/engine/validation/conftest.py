"""Fixtures of the validation tests: official examples, broken variants, and the referee's verdicts.

The official material is the repository's copy in conformance/. The referee runs ONCE per
session, over every official example and every broken variant; its tests skip without it.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from validation_material import CONFORMANCE_DIR, MISSING, ORACLE, VARIANTS, official_examples, write_variant


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    assert CONFORMANCE_DIR.is_dir(), MISSING
    return CONFORMANCE_DIR


@pytest.fixture(scope="session")
def our_verdicts(conformance_dir):
    """validate() on one official example, computed once per session (two tests read it)."""
    from facturier.engine.validation import validate

    cache = {}

    def verdict(rel: str):
        if rel not in cache:
            cache[rel] = validate((conformance_dir / rel).read_bytes())
        return cache[rel]

    return verdict


@pytest.fixture(scope="session")
def broken_variants(conformance_dir, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("broken-variants")
    return {v.name: write_variant(v, folder) for v in VARIANTS}


# --- the referee ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    passed: bool
    fatal_rules: frozenset[str]
    raw: dict


@pytest.fixture(scope="session")
def referee(conformance_dir, broken_variants) -> dict[str, Verdict]:
    """The referee's verdict on every official example and broken variant, from ONE call, by path."""
    if not ORACLE.is_file():
        pytest.skip(f"einvoice-oracle not found at {ORACLE}")
    files = [str(conformance_dir / rel) for rel in official_examples()] + [str(p) for p in broken_variants.values()]
    proc = subprocess.run([str(ORACLE), "--json", *files], capture_output=True, text=True, timeout=1800, check=False)
    if proc.returncode not in (0, 1):
        pytest.fail(f"einvoice-oracle failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    verdicts: dict[str, Verdict] = {}
    for line in proc.stdout.splitlines():
        if not line.startswith("{"):
            continue  # the closing "N passed, M failed" line
        rep = json.loads(line)
        fatal = frozenset(f["id"] for r in rep["results"] for f in r["findings"] if f["flag"] == "fatal")
        verdicts[str(Path(rep["file"]).resolve())] = Verdict(rep["passed"], fatal, rep)
    missing = [f for f in files if str(Path(f).resolve()) not in verdicts]
    if missing:
        pytest.fail(f"einvoice-oracle gave no verdict for {missing[:5]}")
    return verdicts
