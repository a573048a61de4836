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
- CII holds one preceding invoice (BG-3) below EXTENDED and needs a gross price (BT-148)
  to carry an item price discount (BT-147): the writer derives it (BT-146 + BT-147); BT-6
  is written in CII only when it differs from BT-5 (BR-53).

A conversion never loses data silently (`conversion`): a source below EN 16931 (MINIMUM,
BASIC WL) that lacks what the target needs is refused with the list of what it lacks;
EXTENDED sub-lines (group and information lines, parent links) that an EN 16931 target
cannot hold are refused with the reason (UBL for the XRechnung extension nests them as
`cac:SubInvoiceLine` when the totals allow it: see `facturier.engine.en16931.sublines`);
the other EXTENDED-only data the target drops is listed in the warnings; the output is
judged by the official rules and refused when it fails them. ``force=True`` writes it all the same, and says so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from facturier.engine.en16931.model import AllowanceCharge, Invoice
from facturier.engine.errors import ConversionRefused, Message, UnsupportedDocument
from facturier.engine.validation.report import Report
from facturier.engine.xml import DEFAULT_MAX_BYTES, DocumentKind, Limits, detect, parse_xml

__all__ = ["Conversion", "conversion", "convert", "first_difference", "read_invoice"]

Syntax = Literal["cii", "ubl"]

_BELOW_EN16931 = {"minimum": "MINIMUM", "basicwl": "BASIC WL"}


def read_invoice(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, limits: Limits | None = None
) -> tuple[Invoice, Syntax]:
    """Read a CII or UBL invoice into the model; also say which syntax it was."""
    invoice, kind = _read(data, Limits(max_bytes=max_bytes) if limits is None else limits)
    return invoice, kind.syntax


def _read(data: bytes, limits: Limits) -> tuple[Invoice, DocumentKind]:
    root = parse_xml(data, limits=limits)
    kind = detect(root)
    if kind.syntax == "ubl":
        from facturier.engine.ubl import read_ubl

        return read_ubl(root), kind
    from facturier.engine.cii import read_cii

    return read_cii(root), kind


@dataclass(frozen=True, slots=True)
class Conversion:
    """A converted document, what it could not carry, and the official rules' verdict on it."""

    xml: bytes
    syntax: Syntax
    warnings: tuple[Message, ...] = ()
    """Data of the source the target does not carry (written anyway when ``force``)."""
    report: Report | None = None
    """XSD and official rules on the output; None when the output was not validated."""

    @property
    def valid(self) -> bool | None:
        return None if self.report is None else self.report.passed


def convert(
    data: bytes,
    *,
    to: Syntax,
    profile: Any = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: Limits | None = None,
    force: bool = False,
) -> bytes:
    """Convert a CII or UBL invoice into the syntax ``to``, for ``profile``.

    ``profile`` is, for UBL, a `Customization` or its name ("en16931", "peppol-bis3",
    "fr-cius", "extended-ctc-fr", "xrechnung", "xrechnung-extension"; EN 16931 when None); for CII, a
    `facturier.engine.cii.Profile` or its name ("en16931", "basic", "extended-ctc-fr"…;
    EN 16931 when None), or "xrechnung" (the EN 16931 content with XRechnung 3.0's BT-24).
    Raises ConversionRefused as `conversion` does (without running the official rules on the
    output: `conversion` does that).
    """
    limits = Limits(max_bytes=max_bytes) if limits is None else limits
    return conversion(data, to=to, profile=profile, limits=limits, force=force, validate_output=False).xml


def conversion(
    data: bytes,
    *,
    to: Syntax,
    profile: Any = None,
    limits: Limits | None = None,
    force: bool = False,
    validate_output: bool = True,
    french: bool = False,
) -> Conversion:
    """Convert, and say what was not carried and whether the output passes the official rules.

    Raises ConversionRefused, unless ``force``, when the source lacks what an EN 16931
    target needs (a MINIMUM or BASIC WL source: the model rules it fails are listed), when
    it has EXTENDED sub-lines an EN 16931 target cannot hold, or when the output fails the
    XSD or the official rules (``validate_output``; the failing rules are listed).
    """
    invoice, kind = _read(data, limits or Limits())
    if to not in ("cii", "ubl"):
        raise _unknown_target(to)
    extended = _extended_target(to, profile)
    refusals: list[Message] = []
    if kind.profile_hint in _BELOW_EN16931 and _is_en16931_target(to, profile):
        refusals.extend(_lacks(invoice, _BELOW_EN16931[kind.profile_hint]))
    if to == "cii" and _has_split_payment(invoice):
        refusals.append(_SPLIT_PAYMENT)
    warnings: list[Message] = []
    if to == "cii" and invoice.issue_date_zone is not None:
        # The model holds BT-2's zone; CII (format 102) has no time zone at all.
        zone = invoice.issue_date_zone
        warnings.append(Message(
            fr=f"Le fuseau horaire « {zone} » de la date d'émission (BT-2) n'existe pas en CII : la date "
            f"{invoice.issue_date.isoformat()} est écrite sans fuseau.",
            en=f"The time zone '{zone}' of the issue date (BT-2) does not exist in CII: the date "
            f"{invoice.issue_date.isoformat()} is written without one.",
        ))
    if not extended:
        if _nested_target(to, profile):
            refusals.extend(_nesting(invoice))
            warnings.extend(_sub_types_implied(invoice))
        else:
            refusals.extend(_sub_lines(invoice))
        warnings.extend(_not_carried(invoice, to))
        invoice = _within_en16931(invoice)
    if refusals and not force:
        raise _refused(refusals)
    if to == "cii":
        invoice = _vatex_in_capitals(invoice)
    xml = _write(invoice, to, profile)
    report = None
    if validate_output:
        from facturier.engine.validation import validate

        report = validate(xml, french=french, limits=Limits(max_bytes=max(len(xml), (limits or Limits()).max_bytes)))
        if not report.passed and not force:
            raise _refused([_finding_message(f) for f in report.fatal], output=True)
    return Conversion(xml=xml, syntax=to, warnings=tuple(warnings), report=report)


def _write(invoice: Invoice, to: Syntax, profile: Any) -> bytes:
    if to == "ubl":
        from facturier.engine.ubl import Customization, write_ubl

        return write_ubl(invoice, customization=_member(Customization, profile, Customization.EN16931))
    from facturier.engine.cii import write_cii

    cii_profile, specification_id = _cii_target(profile)
    return write_cii(invoice, profile=cii_profile, specification_id=specification_id)


def _cii_target(profile: Any) -> tuple[Any, str | None]:
    """A CII target: a Factur-X profile, or an EN 16931 CIUS ("xrechnung") written as the EN 16931
    profile with the CIUS's guideline id (BT-24)."""
    from facturier.engine.cii import CIUS, Profile

    if isinstance(profile, str) and _key(profile) in CIUS:
        return Profile.EN16931, CIUS[_key(profile)]
    return _member(Profile, profile, Profile.EN16931), None


def _extended_target(to: Syntax, profile: Any) -> bool:
    if to == "ubl":
        from facturier.engine.ubl import Customization

        return _member(Customization, profile, Customization.EN16931) is Customization.EXTENDED_CTC_FR
    return _cii_target(profile)[0].rank >= 4


def _nested_target(to: Syntax, profile: Any) -> bool:
    """UBL for the XRechnung extension: sub-lines nested as cac:SubInvoiceLine (BG-DEX-01)."""
    if to != "ubl":
        return False
    from facturier.engine.ubl import Customization

    return _member(Customization, profile, Customization.EN16931) is Customization.XRECHNUNG_EXTENSION


def _is_en16931_target(to: Syntax, profile: Any) -> bool:
    if to == "ubl":
        return True
    return _cii_target(profile)[0].rank >= 2


def _lacks(invoice: Invoice, level: str) -> list[Message]:
    """What a MINIMUM / BASIC WL source lacks for EN 16931: the model rules it fails."""
    from facturier.engine.en16931.rules import check_rules

    fatal = check_rules(invoice).fatal
    if not fatal:
        return []
    head = Message(
        fr=f"Le document source est au profil {level}, qui ne porte pas tout ce qu'exige la norme EN 16931 "
        "(lignes, adresses, ventilation de TVA…). Il lui manque :",
        en=f"The source document is a {level} profile, which does not carry everything EN 16931 requires "
        "(lines, addresses, VAT breakdown…). It lacks:",
    )
    return [head, *(_finding_message(f) for f in fatal)]


_SPLIT_PAYMENT = Message(
    fr="La catégorie de TVA B (« split payment », Italie) n'existe pas dans les listes de codes "
    "Factur-X (FX-SCH-A-000587, FX-SCH-A-000619) : un CII Factur-X ne peut pas la porter. Gardez ce "
    "document en UBL.",
    en="VAT category B (split payment, Italy) is not in the Factur-X code lists (FX-SCH-A-000587, "
    "FX-SCH-A-000619): a Factur-X CII cannot carry it. Keep this document in UBL.",
)


def _has_split_payment(invoice: Invoice) -> bool:
    return any(str(v.category) == "B" for v in invoice.vat_breakdown) or any(
        str(line.vat.category) == "B" for line in invoice.lines
    )


def _sub_lines(invoice: Invoice) -> list[Message]:
    """Sub-lines (EXTENDED group / information lines, parent links, XRechnung sub invoice lines):
    no EN 16931 target holds them."""
    ids = [line.id for line in invoice.lines if line.parent_line_id is not None or not line.counts_in_totals]
    if not ids:
        return []
    shown = ", ".join(ids[:10]) + (" …" if len(ids) > 10 else "")
    return [
        Message(
            fr=f"Les lignes {shown} sont des sous-lignes (ligne parente, ligne de groupe ou d'information "
            "Factur-X EXTENDED, sous-ligne de l'extension XRechnung) : la norme EN 16931 n'a pas de sous-ligne, "
            "et la syntaxe UBL n'en porte (cac:SubInvoiceLine) qu'en dehors de la norme, ce que ses règles "
            "déconseillent (UBL-CR-646). Convertissez vers un profil EXTENDED (CII extended, UBL "
            "extended-ctc-fr) ou vers l'extension XRechnung (UBL xrechnung-extension).",
            en=f"Lines {shown} are sub-lines (Factur-X EXTENDED parent, group or information lines, XRechnung "
            "extension sub invoice lines): EN 16931 has no sub-lines, and UBL holds them (cac:SubInvoiceLine) "
            "only outside the standard, which its rules advise against (UBL-CR-646). Convert to an EXTENDED "
            "profile (CII extended, UBL extended-ctc-fr) or to the XRechnung extension (UBL xrechnung-extension).",
        )
    ]


def _nesting(invoice: Invoice) -> list[Message]:
    """Why the sub-lines cannot become nested UBL sub-lines with the same totals (the XRechnung
    extension counts the top-level lines only)."""
    from facturier.engine.en16931.sublines import has_sub_lines, nesting_problems

    if not has_sub_lines(invoice):
        return []
    problems = nesting_problems(invoice)
    if not problems:
        return []
    head = Message(
        fr="Les sous-lignes Factur-X EXTENDED ne peuvent pas devenir des sous-lignes XRechnung "
        "(cac:SubInvoiceLine) sans changer les totaux :",
        en="The Factur-X EXTENDED sub-lines cannot become XRechnung sub-lines (cac:SubInvoiceLine) "
        "without changing the totals:",
    )
    return [head, *problems]


def _sub_types_implied(invoice: Invoice) -> list[Message]:
    """The sub-types (GROUP, DETAIL, INFORMATION) have no XRechnung element: the nesting says
    them (`sublines.derive_subtypes`); those it says otherwise than the source are listed."""
    import dataclasses

    from facturier.engine.en16931.sublines import DETAIL, derive_subtypes

    if not any(line.parent_line_id is not None for line in invoice.lines):
        return []
    derived = derive_subtypes([dataclasses.replace(line, subtype=None) for line in invoice.lines])
    typed = [
        line.id for line, back in zip(invoice.lines, derived, strict=True)
        if (line.subtype or DETAIL) != (back.subtype or DETAIL)
    ]
    if not typed:
        return []
    shown = ", ".join(typed[:10]) + (" …" if len(typed) > 10 else "")
    return [Message(
        fr=f"Non porté par l'extension XRechnung : le type des lignes {shown} (BT-X-8 GROUP, DETAIL, INFORMATION). "
        "L'imbrication des sous-lignes le remplace : seules les lignes de premier niveau comptent dans les totaux.",
        en=f"Not carried by the XRechnung extension: the sub-type of lines {shown} (BT-X-8 GROUP, DETAIL, "
        "INFORMATION). The nesting of the sub-lines stands for it: only the top-level lines count in the totals.",
    )]


def _not_carried(invoice: Invoice, to: Syntax) -> list[Message]:
    """The Factur-X EXTENDED data an EN 16931 target leaves out (or reshapes), term by term."""
    out: list[tuple[str, str]] = []
    if invoice.logistics_charges:
        out.append(("les frais logistiques (BT-X-271…274), écrits comme charges de document (BG-21)",
                    "the logistics service charges (BT-X-271…274), written as document level charges (BG-21)"))
    if len([i for i in invoice.buyer.identifiers if i.scheme is not None]) > 1 or (
        to == "ubl" and len(invoice.buyer.identifiers) > 1
    ):
        out.append(("les identifiants de l'acheteur après le premier (BT-46 n'en a qu'un)",
                    "the buyer identifiers after the first (BT-46 holds one)"))
    if invoice.buyer.tax_registration_id is not None or invoice.buyer.legal_form is not None:
        out.append(("l'enregistrement fiscal et la forme juridique de l'acheteur",
                    "the buyer's tax registration and legal form"))
    if any(p.type_code is not None for p in invoice.preceding_invoices):
        out.append(("le type des factures antérieures", "the type code of the preceding invoices"))
    if to == "cii" and len(invoice.preceding_invoices) > 1:
        out.append(("les factures antérieures après la première (BG-3 n'en a qu'une en CII EN 16931)",
                    "the preceding invoices after the first (CII EN 16931 holds one BG-3)"))
    if any(line.vat.exemption_code or line.vat.exemption_reason for line in invoice.lines) or any(
        ac.vat_exemption_code or ac.vat_exemption_reason for ac in invoice.allowances_charges
    ):
        out.append(("les motifs d'exonération de TVA des lignes, remises et charges",
                    "the VAT exemption reasons of lines, allowances and charges"))
    return [
        Message(fr=f"Non porté par la cible EN 16931 : {fr}.", en=f"Not carried by the EN 16931 target: {en}.")
        for fr, en in out
    ]


def _within_en16931(invoice: Invoice) -> Invoice:
    """An EXTENDED model reshaped for an EN 16931 target: logistics charges as BG-21 charges."""
    if not invoice.logistics_charges:
        return invoice
    charges = tuple(
        AllowanceCharge(is_charge=True, amount=lc.amount, vat_category=lc.vat_category, vat_rate=lc.vat_rate,
                        reason=lc.description)
        for lc in invoice.logistics_charges
    )
    return dataclasses.replace(
        invoice, logistics_charges=(), allowances_charges=invoice.allowances_charges + charges
    )


def _vatex_in_capitals(invoice: Invoice) -> Invoice:
    """VATEX codes as published, in capitals: EN 16931 compares them without case, the
    Factur-X code lists do not ("vatex-eu-132-1g" of a UBL source is VATEX-EU-132-1G)."""

    def cap(code: str | None) -> str | None:
        return code.upper() if code is not None and code[:6].upper() == "VATEX-" else code

    replace = dataclasses.replace
    return replace(
        invoice,
        vat_breakdown=tuple(replace(v, exemption_code=cap(v.exemption_code)) for v in invoice.vat_breakdown),
        lines=tuple(
            replace(line, vat=replace(line.vat, exemption_code=cap(line.vat.exemption_code))) for line in invoice.lines
        ),
        allowances_charges=tuple(
            replace(ac, vat_exemption_code=cap(ac.vat_exemption_code)) for ac in invoice.allowances_charges
        ),
    )


def _finding_message(finding: Any) -> Message:
    where = f" ({finding.xpath})" if finding.xpath else ""
    return Message(
        fr=f"{finding.rule} : {finding.message.fr}{where}", en=f"{finding.rule}: {finding.message.en}{where}"
    )


def _refused(reasons: list[Message], *, output: bool = False) -> ConversionRefused:
    head = (
        Message(
            fr="Le document converti ne respecte pas les règles officielles ; il n'est pas écrit "
            "(forcez l'écriture pour l'obtenir quand même, invalide).",
            en="The converted document fails the official rules; it is not written (force the "
            "conversion to get it anyway, invalid).",
        )
        if output
        else Message(
            fr="Cette conversion ne peut pas produire un document valide sans perdre de données ; "
            "rien n'est écrit (forcez l'écriture pour l'obtenir quand même, invalide).",
            en="This conversion cannot produce a valid document without losing data; nothing is "
            "written (force the conversion to get it anyway, invalid).",
        )
    )
    lines = [head, *reasons]
    return ConversionRefused(
        Message(fr="\n".join(m.fr for m in lines), en="\n".join(m.en for m in lines)),
        detail=None,
    )


def _unknown_target(to: str) -> UnsupportedDocument:
    return UnsupportedDocument(
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
