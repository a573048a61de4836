"""The simulated directory: the demo organisation and its French customers (src/facturier/config/demo.py;
tests/platforms checks the two lists agree), and a few extra companies showing the kinds of lines.

Each company: SIREN, name, entity type ("PrivateVatRegistered" or "Public"), its establishments (SIRET) and
its directory lines (kind, SIRET, routing code, suffix). Lines use scheme 0225 addressing identifiers:
SIREN, SIREN_SIRET, SIREN_SIRET_ROUTINGCODE, SIREN_SUFFIX, joined by "_"."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Company:
    siren: str
    name: str
    entity_type: str = "PrivateVatRegistered"
    sirets: list[str] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    """{"siret": "", "routing": "", "suffix": "", "platform_type": "WK", "status": "Enabled"}"""
    routing_codes: list[tuple[str, str, str]] = field(default_factory=list)
    """(siret, routing identifier, name)"""


def _simple(siren: str, siret: str, name: str) -> Company:
    return Company(siren, name, sirets=[siret], lines=[{}])


DEMO_ORGANISATION = _simple("884123456", "88412345600011", "Atelier Numérique Lumière SAS")

DEMO_CUSTOMERS = [
    _simple("412345670", "41234567000019", "Boulangerie Martin SARL"),
    _simple("500123450", "50012345000016", "Café des Arts SAS"),
    Company("798765434", "Distribution Rhône-Alpes SA", sirets=["79876543400013", "79876543400021"],
            lines=[{}, {"siret": "79876543400021"}]),  # two lines: the user chooses (or the routing decides)
    _simple("833111222", "83311122200018", "École Montessori du Parc"),
    _simple("444555668", "44455566800011", "Ferme des Monts d'Or EARL"),
    _simple("912345675", "91234567500017", "Garage Central SARL"),
    _simple("523456788", "52345678800018", "Hôtel du Vieux Lyon SAS"),
    Company("612345678", "Mairie de Caluire-et-Cuire", entity_type="Public", sirets=["61234567800017"],
            lines=[{"siret": "61234567800017", "routing": "SERV-FIN-01", "platform_type": "DFH"}],
            routing_codes=[("61234567800017", "SERV-FIN-01", "Service financier")]),
    _simple("700123458", "70012345800015", "Pharmacie de la Croix-Rousse"),
    # RECY10 (800123457) is registered but has no directory line: invoices to it end in a routing error (221)
    Company("800123457", "Recyclage Avenir SCOP", sirets=["80012345700015"], lines=[]),
    _simple("300123452", "30012345200017", "Transports Saône SARL"),
]

EXTRA = [
    Company("552100554", "Grand Groupe Industriel SA", sirets=["55210055400013", "55210055400021"],
            lines=[{"siret": "55210055400013", "routing": "ACHATS-NORD"}, {"suffix": "FOURNISSEURS"}],
            routing_codes=[("55210055400013", "ACHATS-NORD", "Achats Nord")]),
    _simple("732829320", "73282932000074", "Commerce de l'Ouest SAS"),
    Company("356000000", "Ancienne Société (radiée)", sirets=["35600000000048"],
            lines=[{"status": "Disabled"}]),
]

DIRECTORY = [DEMO_ORGANISATION, *DEMO_CUSTOMERS, *EXTRA]


def addressing_identifier(siren: str, line: dict) -> str:
    if line.get("suffix"):
        return f"{siren}_{line['suffix']}"
    parts = [siren]
    if line.get("siret"):
        parts.append(line["siret"])
        if line.get("routing"):
            parts.append(line["routing"])
    return "_".join(parts)
