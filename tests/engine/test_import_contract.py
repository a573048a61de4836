"""The engine stays framework-free: import-linter's contract (pyproject.toml) holds."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_engine_imports_neither_django_nor_any_app():
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter)], check=False, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The engine is framework-free KEPT" in result.stdout


def test_every_package_of_facturier_is_forbidden_to_the_engine():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contract = config["tool"]["importlinter"]["contracts"][0]
    source = ROOT / "src" / "facturier"
    packages = {f"facturier.{p.name}" for p in source.iterdir() if (p / "__init__.py").exists()}
    modules = {f"facturier.{p.stem}" for p in source.glob("*.py") if p.stem != "__init__"}
    assert (packages | modules) - {"facturier.engine"} <= set(contract["forbidden_modules"])
