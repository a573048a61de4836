"""Fixtures of the UBL tests: every output, judged by the referee in one call per session."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from ubl_support import (
    GENERATED,
    HAS_CII,
    ORACLE,
    Case,
    case_ids,
    example_id,
    has_sub_invoice_lines,
    is_extended_ctc_fr,
    official_cii_examples,
    official_ubl_examples,
    sample_invoice,
)


def _produce(case: Case, out_dir: Path) -> None:
    from facturier.engine.ubl import Customization, read_ubl, write_ubl

    if case.kind == "generated":
        type_code, custom = GENERATED[case.id]
        case.output = out_dir / f"generated__{case.id.replace(':', '__')}.xml"
        case.output.write_bytes(write_ubl(sample_invoice(type_code=type_code), customization=Customization[custom]))
        return
    data = case.source.read_bytes()
    if case.kind == "ubl":
        custom = Customization.EXTENDED_CTC_FR if is_extended_ctc_fr(case.source) else Customization.EN16931
        if has_sub_invoice_lines(case.source):
            custom = Customization.XRECHNUNG_EXTENSION  # its sub-lines, nested again
        xml = write_ubl(read_ubl(data), customization=custom)
    elif case.kind == "ubl-cii":
        from facturier.engine.cii import Profile, write_cii

        profile = Profile.EXTENDED_CTC_FR if is_extended_ctc_fr(case.source) else Profile.EN16931
        if has_sub_invoice_lines(case.source):
            profile = Profile.EXTENDED  # sub-lines: flat, with parent line ids and sub-types
        xml = write_cii(read_ubl(data), profile=profile)
    else:
        from facturier.engine.cii import read_cii

        xml = write_ubl(read_cii(data))
    name = f"{case.kind}__{case.id}".replace("/", "__").replace(" ", "_")
    case.output = out_dir / name
    case.output.write_bytes(xml)


@pytest.fixture(scope="session")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Case]:
    """Every output made from the official examples, judged by the referee in one call."""
    if not ORACLE.is_file():
        pytest.skip(f"the referee einvoice-oracle is not available at {ORACLE}")
    out_dir = tmp_path_factory.mktemp("ubl-outputs")
    by_id = {example_id(p): p for p in official_ubl_examples() + official_cii_examples()}
    cases: dict[tuple[str, str], Case] = {}
    for kind, ident in case_ids():
        case = cases[(kind, ident)] = Case(ident, by_id.get(ident, out_dir), kind)
        if kind in ("ubl-cii", "cii-ubl") and not HAS_CII:
            continue
        try:
            _produce(case, out_dir)
        except Exception as exc:  # noqa: BLE001 - reported by the case's own test
            case.error = f"{type(exc).__name__}: {exc}"
    judged = [c for c in cases.values() if c.output is not None]
    proc = subprocess.run(
        [str(ORACLE), "--json", *(str(c.output) for c in judged)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    reports = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            rep = json.loads(line)
            reports[Path(rep["file"]).name] = rep
    for case in judged:
        case.report = reports.get(case.output.name, {})
        if not case.report:
            case.error = f"the referee gave no verdict (exit {proc.returncode}): {proc.stderr[-1500:]}"
    return cases
