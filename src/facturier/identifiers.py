"""Validators for legal identifiers (SIREN, SIRET, VAT, IBAN, BIC), built on python-stdnum.

Checksums are never rewritten here: stdnum knows them. Each validator raises a Django
ValidationError whose message says what is wrong and what to check, in the user's language.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.eu import vat as stdnum_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from facturier.engine.en16931.codes import is_country_code


def _reason(error: StdnumError) -> str:
    if isinstance(error, InvalidChecksum):
        return str(_("check digit"))
    if isinstance(error, InvalidLength):
        return str(_("length"))
    if isinstance(error, (InvalidFormat, InvalidComponent)):
        return str(_("format"))
    return str(_("format"))


def validate_siren(value: str) -> None:
    try:
        stdnum_siren.validate(value)
    except StdnumError as e:
        raise ValidationError(
            _("The SIREN %(value)s is invalid (%(reason)s). Check the 9 digits."),
            code="invalid_siren", params={"value": value, "reason": _reason(e)}) from None


def validate_siret(value: str) -> None:
    try:
        stdnum_siret.validate(value)
    except StdnumError as e:
        raise ValidationError(
            _("The SIRET %(value)s is invalid (%(reason)s). Check the 14 digits."),
            code="invalid_siret", params={"value": value, "reason": _reason(e)}) from None


def validate_vat(value: str) -> None:
    try:
        stdnum_vat.validate(value)
    except StdnumError as e:
        raise ValidationError(
            _("The VAT number %(value)s is invalid (%(reason)s). It starts with the country code, "
              "e.g. FR12345678901."),
            code="invalid_vat", params={"value": value, "reason": _reason(e)}) from None


def validate_iban(value: str) -> None:
    try:
        stdnum_iban.validate(value)
    except StdnumError as e:
        raise ValidationError(_("The IBAN %(value)s is invalid (%(reason)s)."),
                              code="invalid_iban", params={"value": value, "reason": _reason(e)}) from None


def validate_bic(value: str) -> None:
    try:
        stdnum_bic.validate(value)
    except StdnumError as e:
        raise ValidationError(_("The BIC %(value)s is invalid (%(reason)s)."),
                              code="invalid_bic", params={"value": value, "reason": _reason(e)}) from None


def validate_country(value: str) -> None:
    if not is_country_code(value):
        raise ValidationError(_("Unknown country code “%(value)s” (ISO 3166, two letters, e.g. FR)."),
                              code="invalid_country", params={"value": value})


def check_siret_matches_siren(siren: str, siret: str) -> None:
    """A SIRET is the SIREN followed by the establishment number (NIC)."""
    if siren and siret and not stdnum_siret.compact(siret).startswith(stdnum_siren.compact(siren)):
        raise ValidationError(
            {"siret": _("The SIRET %(siret)s does not belong to the SIREN %(siren)s: it must start with it.")
             % {"siret": siret, "siren": siren}},
            code="siret_siren_mismatch")


def compact_siren(value: str) -> str:
    return stdnum_siren.compact(value) if value else ""


def compact_siret(value: str) -> str:
    return stdnum_siret.compact(value) if value else ""


def is_eu_vat_prefix(prefix: str) -> bool:
    """Whether a VAT number starting so can be an intra-EU one (EL for Greece, XI for Northern Ireland)."""
    return prefix.lower() in stdnum_vat.MEMBER_STATES or prefix.upper() == "EL"


def compact_vat(value: str) -> str:
    """The number without separators; "" when it is no EU VAT number at all (a Swiss CHE-… number,
    a typo in the country code): the field's validator words that error, this never raises."""
    try:
        return stdnum_vat.compact(value) if value else ""
    except StdnumError:
        return ""


def check_vat_matches_siren(siren: str, vat_number: str) -> None:
    """A French VAT number is FR + a 2-digit key + the SIREN: another company's number is a typo."""
    vat = compact_vat(vat_number)
    if siren and vat.startswith("FR") and len(vat) == 13 and vat[4:] != stdnum_siren.compact(siren):
        raise ValidationError(
            {"vat_number": _("The VAT number %(vat)s does not belong to the SIREN %(siren)s: "
                             "a French VAT number ends with the SIREN.") % {"vat": vat_number, "siren": siren}},
            code="vat_siren_mismatch")
