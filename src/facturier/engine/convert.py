"""Conversion between the two EN 16931 syntaxes, CII (Factur-X) and UBL 2.1.

Both syntaxes carry the whole EN 16931 model, so a conversion is a read into the model and
a write in the other syntax. The readers are chosen on the document's root element; the
CII reader and writer are imported when needed, so this module imports on its own.

What one syntax cannot carry the way the other does is listed, term by term, in
`facturier.engine.ubl.as_carried` (model → UBL); in short:
- BT-24 (specification identifier) names the target's own customisation or profile, never
  the source's; UBL writes BT-23 as ProfileID, fixed for Peppol BIS 3;
- BT-21 (note subject code) has no UBL element: it travels as the ``#CODE#`` prefix of the
  note text that the French CIUS uses;
- the IBAN / proprietary distinction of BT-84 (CII IBANID or ProprietaryID) is not in UBL:
  read from UBL, an account that has the shape of an IBAN is an IBAN;
- CII holds one preceding invoice (BG-3) and needs a gross price (BT-148) to carry an item
  price discount (BT-147); BT-6 may not equal BT-5 in CII (BR-53).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from enum import Enum
from typing import Any, Literal

from facturier.engine.en16931.model import Invoice
from facturier.engine.errors import Message, UnsupportedDocument
from facturier.engine.xml import DEFAULT_MAX_BYTES, detect, parse_xml

__all__ = ["convert", "first_difference", "read_invoice"]

Syntax = Literal["cii", "ubl"]


def read_invoice(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[Invoice, Syntax]:
    """Read a CII or UBL invoice into the model; also say which syntax it was."""
    root = parse_xml(data, max_bytes=max_bytes)
    kind = detect(root)
    if kind.syntax == "ubl":
        from facturier.engine.ubl import read_ubl

        return read_ubl(root), "ubl"
    from facturier.engine.cii import read_cii

    return read_cii(root), "cii"


def convert(
    data: bytes,
    *,
    to: Syntax,
    profile: Any = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> bytes:
    """Convert a CII or UBL invoice into the syntax ``to``, for ``profile``.

    ``profile`` is, for UBL, a `Customization` or its name ("en16931", "peppol-bis3",
    "fr-cius", "extended-ctc-fr", "xrechnung"; EN 16931 when None); for CII, a
    `facturier.engine.cii.Profile` or its name ("en16931", "basic", "extended-ctc-fr"…;
    EN 16931 when None).
    """
    invoice, _ = read_invoice(data, max_bytes=max_bytes)
    if to == "ubl":
        from facturier.engine.ubl import Customization, write_ubl

        return write_ubl(invoice, customization=_member(Customization, profile, Customization.EN16931))
    if to == "cii":
        from facturier.engine.cii import Profile, write_cii

        return write_cii(invoice, profile=_member(Profile, profile, Profile.EN16931))
    raise UnsupportedDocument(
        Message(
            fr=f"Syntaxe cible inconnue « {to} » : choisissez cii ou ubl.",
            en=f"Unknown target syntax '{to}': choose cii or ubl.",
        ),
        detail=str(to),
    )


def _member(enum: type[Enum], value: Any, default: Enum) -> Any:
    if value is None:
        return default
    if isinstance(value, enum):
        return value
    wanted = _key(str(value))
    for member in enum:
        values = member.value if isinstance(member.value, tuple) else (member.value,)
        if wanted in {_key(member.name), *(_key(str(v)) for v in values)}:
            return member
    choices = ", ".join(m.name.lower().replace("_", "-") for m in enum)
    raise UnsupportedDocument(
        Message(
            fr=f"Profil inconnu « {value} » : choisissez parmi {choices}.",
            en=f"Unknown profile '{value}': choose one of {choices}.",
        ),
        detail=str(value),
    )


def _key(text: str) -> str:
    return text.strip().lower().replace("_", "-").replace(" ", "-")


def first_difference(a: object, b: object, *, ignore: Collection[str] = (), path: str = "") -> str | None:
    """The first place where two model values differ, as ``"lines[2].price.net_price: x != y"``.

    Dataclasses are compared field by field, tuples item by item, everything else with
    ``==`` (so Decimal("1.0") equals Decimal("1.00"), and a code enum equals its code).
    Paths in ``ignore`` (e.g. ``"process.specification_id"``, written without indices) are
    skipped. None when equal. Used to prove that a conversion kept every term.
    """
    if ignore and _strip_indices(path) in ignore:
        return None
    if dataclasses.is_dataclass(a) and dataclasses.is_dataclass(b) and type(a) is type(b):
        for f in dataclasses.fields(a):
            sub = f"{path}.{f.name}" if path else f.name
            diff = first_difference(getattr(a, f.name), getattr(b, f.name), ignore=ignore, path=sub)
            if diff is not None:
                return diff
        return None
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            diff = first_difference(x, y, ignore=ignore, path=f"{path}[{i}]")
            if diff is not None:
                return diff
        if len(a) != len(b):
            return f"{path or '<root>'}: {len(a)} items != {len(b)} items"
        return None
    if a != b or (a is None) != (b is None):
        return f"{path or '<root>'}: {_show(a)} != {_show(b)}"
    return None


def _strip_indices(path: str) -> str:
    out, depth = [], 0
    for ch in path:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
