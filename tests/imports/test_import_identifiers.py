"""Which buyer identifiers an import reads as a SIREN or a SIRET: a scheme says so (0002, 0009); an identifier
without a scheme only for a party that may be French (no country, or FR)."""

import pytest

from facturier.engine.en16931.model import Buyer, Identifier, PostalAddress
from facturier.imports.reading import siren_of, siret_of


def buyer(value: str, scheme: str | None, country: str | None) -> Buyer:
    return Buyer(name="Acheteur", legal_registration=Identifier(value=value, scheme=scheme),
                 address=PostalAddress(country=country) if country else None)


@pytest.mark.parametrize(("scheme", "country", "expected"), [
    ("0002", "FR", "552100554"), ("0002", "NO", "552100554"),  # the scheme says SIREN, whatever the address
    (None, "FR", "552100554"), (None, None, "552100554"),      # unlabelled, may be French
    (None, "NO", ""),                                           # a Norwegian organisation number, not a SIREN
    ("0192", "NO", ""),
])
def test_a_nine_digit_identifier_is_a_siren_only_when_its_scheme_or_country_allows(scheme, country, expected):
    assert siren_of(buyer("552100554", scheme, country)) == expected


@pytest.mark.parametrize(("scheme", "country", "expected"), [
    ("0009", "DE", "55210055400013"), (None, "FR", "55210055400013"), (None, "DE", ""),
])
def test_a_fourteen_digit_identifier_is_a_siret_only_when_its_scheme_or_country_allows(scheme, country, expected):
    assert siret_of(buyer("55210055400013", scheme, country)) == expected
