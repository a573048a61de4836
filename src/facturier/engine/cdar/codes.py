"""The code lists of French invoice life-cycle messages (CDAR D22B, CDV profile).

Where each list comes from:

- the statuses (MDT-105) 200 … 228 and 501, their French names, which of them need a reason
  and which go to the tax administration: the public summaries of the reform (see
  ``../shared/specs/README.md``); the English names are ours;
- the phase of each status (MDT-77: 305 transmission, by a platform; 23 processing, by a
  party to the invoice) and the document status code (MDT-88) where one is written: the
  official CDV examples and the BR-FR-CDV-CL-02/03/05 rules. MDT-88 is optional (the rules
  accept its absence); it is set only for the statuses whose value the official examples
  show, never guessed;
- the reason codes (MDT-113) and which statuses accept which reasons: the BR-FR-CDV-CL-09
  rules of the BR-FR-CDV 1.4.0.03 schematron, which enforce that closed list. The French and
  English texts are short descriptions written for Facturier, not official labels;
- the requested action codes (MDT-121): BR-FR-CDV-CL-10 (the Peppol invoice-response
  clarification actions); texts ours.
"""

from __future__ import annotations

from dataclasses import dataclass

from facturier.engine.errors import Message

__all__ = [
    "ACTIONS",
    "CHARACTERISTIC_TYPES",
    "GUIDELINE_CDV",
    "GUIDELINE_PPF",
    "PHASE_PROCESSING",
    "PHASE_TRANSMISSION",
    "REASONS",
    "ROLES",
    "STATUSES",
    "ActionInfo",
    "ReasonInfo",
    "StatusInfo",
    "next_step",
    "reasons_for",
]

GUIDELINE_CDV = "urn.cpro.gouv.fr:1p0:CDV:invoice"
"""MDT-3 of a life-cycle message exchanged between the parties and their platforms."""
GUIDELINE_PPF = "urn.cpro.gouv.fr:1p0:CDV:einvoicingF2"
"""MDT-3 of the copy a platform sends the tax administration's portal (PPF) alone
(BR-FR-CDV-02: only with the PPF, 0238 / 0000, role DFH, as the one recipient)."""

PHASE_TRANSMISSION = "305"
"""MDT-77: a status set by a platform while it carries the invoice (sender and issuer WK)."""
PHASE_PROCESSING = "23"
"""MDT-77: a status set by a party to the invoice (buyer, seller…), identified by its SIREN."""


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """One life-cycle status (MDT-105 Code statut traitement)."""

    code: str
    name_en: str
    name_fr: str
    reason_required: bool
    """BR-FR-CDV-15: the message must carry a reason code (MDT-113)."""
    to_tax_authority: bool
    """The status is also sent to the tax administration (PPF)."""
    phase: str
    """MDT-77 Code type document: PHASE_TRANSMISSION (305) or PHASE_PROCESSING (23)."""
    label: str
    """MDT-106 Libellé statut, as the official examples write it ("Mise_à_disposition")."""
    document_status: str | None = None
    """MDT-88 (UNCL 1373) where the official examples establish it, else None (not written)."""

    def name(self, language: str = "fr") -> str:
        return self.name_fr if (language or "fr").lower().startswith("fr") else self.name_en

    @property
    def negative(self) -> bool:
        """The invoice did not go through: rejected by a platform (213, 501), undeliverable (221)
        or refused by the buyer (210). The organisation is told, with ``next_step``."""
        return self.code in _NEGATIVE


_NEGATIVE = frozenset({"210", "213", "221", "501"})


def _s(code, fr, en, phase, label, *, reason=False, tax=False, mdt88=None) -> StatusInfo:
    return StatusInfo(code, en, fr, reason, tax, phase, label, mdt88)


_T, _P = PHASE_TRANSMISSION, PHASE_PROCESSING

STATUSES: dict[str, StatusInfo] = {
    s.code: s
    for s in (
        _s("200", "Déposée", "Submitted", _T, "Déposée", tax=True, mdt88="10"),
        _s("201", "Émise par la plateforme", "Issued by the platform", _T, "Émise"),
        _s("202", "Reçue par la plateforme", "Received by the platform", _T, "Reçue", mdt88="43"),
        _s("203", "Mise à disposition", "Made available", _T, "Mise_à_disposition", mdt88="48"),
        _s("204", "Prise en charge", "In process", _P, "Prise_en_charge", mdt88="45"),
        _s("205", "Approuvée", "Approved", _P, "Approuvée", mdt88="1"),
        _s("206", "Approuvée partiellement", "Partially approved", _P, "Approuvée_partiellement", reason=True),
        _s("207", "En litige", "Disputed", _P, "En_litige", reason=True, mdt88="46"),
        _s("208", "Suspendue", "Suspended", _P, "Suspendue", reason=True),
        _s("209", "Complétée", "Completed", _P, "Complétée"),
        _s("210", "Refusée", "Refused", _P, "Refusée", reason=True, tax=True),
        _s("211", "Paiement transmis", "Payment sent", _P, "Paiement_transmis", mdt88="47"),
        _s("212", "Encaissée", "Payment received", _P, "Encaissée", tax=True, mdt88="47"),
        _s("213", "Rejetée", "Rejected", _T, "Rejetée", reason=True, tax=True),
        _s("214", "Visée", "Certified for payment", _P, "Visée"),
        _s("220", "Annulée", "Cancelled", _P, "Annulée"),
        _s("221", "Erreur de routage", "Routing error", _T, "Erreur_de_routage"),
        _s("224", "Demande de paiement direct", "Direct payment requested", _P, "Demande_de_paiement_direct"),
        _s("225", "Affacturée", "Factored", _P, "Affacturée"),
        _s("226", "Affacturée confidentiel", "Factored (confidential)", _P, "Affacturée_confidentiel"),
        _s("227", "Changement de compte à payer", "Payee account changed", _P, "Changement_de_compte_à_payer"),
        _s("228", "Non affacturée", "Not factored", _P, "Non_affacturée"),
        _s("501", "Irrecevable", "Inadmissible", _T, "Irrecevable", reason=True),
    )
}
"""Every status Facturier knows, by MDT-105 code. A message with another code is refused."""


@dataclass(frozen=True, slots=True)
class ReasonInfo:
    """One status reason (MDT-113 Code motif), from the closed list of BR-FR-CDV-CL-09."""

    code: str
    text_en: str
    text_fr: str
    statuses: frozenset[str] = frozenset()
    """The statuses whose BR-FR-CDV-CL-09 list names this reason (empty: accepted only with
    the statuses that have no list of their own)."""

    def text(self, language: str = "fr") -> str:
        return self.text_fr if (language or "fr").lower().startswith("fr") else self.text_en


# BR-FR-CDV-CL-09: the statuses that accept only some reasons, and which.
_ONLY: dict[str, tuple[str, ...]] = {
    "200": ("NON_TRANSMISE",),
    "213": ("MONTANTTOTAL_ERR", "CALCUL_ERR", "DOUBLON", "DEST_INC", "ADR_ERR", "REJ_SEMAN", "REJ_UNI", "REJ_COH",
            "REJ_ADR", "REJ_CONT_B2G", "REJ_REF_PJ", "REJ_ASS_PJ"),
    "210": ("TX_TVA_ERR", "MONTANTTOTAL_ERR", "CALCUL_ERR", "NON_CONFORME", "DOUBLON", "DEST_ERR", "TRANSAC_INC",
            "EMMET_INC", "CONTRAT_TERM", "DOUBLE_FACT", "CMD_ERR", "ADR_ERR", "REF_CT_ABSENT"),
    "207": ("AUTRE", "COORD_BANC_ERR", "TX_TVA_ERR", "MONTANTTOTAL_ERR", "CALCUL_ERR", "NON_CONFORME", "DOUBLON",
            "DEST_INC", "DEST_ERR", "TRANSAC_INC", "EMMET_INC", "CONTRAT_TERM", "DOUBLE_FACT", "CMD_ERR", "ADR_ERR",
            "SIRET_ERR", "CODE_ROUTAGE_ERR", "REF_CT_ABSENT", "REF_ERR", "PU_ERR", "REM_ERR", "QTE_ERR", "ART_ERR",
            "MODPAI_ERR", "QUALITE_ERR", "LIVR_INCOMP"),
    "206": ("AUTRE", "CMD_ERR", "SIRET_ERR", "CODE_ROUTAGE_ERR", "REF_CT_ABSENT", "REF_ERR", "PU_ERR", "REM_ERR",
            "QTE_ERR", "ART_ERR", "MODPAI_ERR", "QUALITE_ERR", "LIVR_INCOMP"),
    "208": ("JUSTIF_ABS", "COORD_BANC_ERR", "CMD_ERR", "SIRET_ERR", "CODE_ROUTAGE_ERR", "REF_CT_ABSENT", "REF_ERR"),
    "221": ("ROUTAGE_ERR",),
    "501": ("IRR_VIDE_F", "IRR_TYPE_F", "IRR_SYNTAX", "IRR_TAILLE_PJ", "IRR_NOM_PJ", "IRR_VID_PJ", "IRR_EXT_DOC",
            "IRR_TAILLE_F", "IRR_ANTIVIRUS", "IRR_NOM_F"),
}
B2G_REFUSAL_REASONS = frozenset(
    ("RETRAIT_MAN_SERV", "ST_CT_NON_DECLAR", "SUPPR_COMP_AVOIR", "TRANSF_PMNT_REGIE", "AUTRE", "COORD_BANC_ERR",
     "LIVR_INCOMP", *_ONLY["210"])
)
"""BR-FR-CDV-CL-09 (210B2G): the refusal reasons of a public buyer (sender 0238 / 9999, Chorus Pro)."""

_REASON_TEXTS: tuple[tuple[str, str, str], ...] = (
    ("RETRAIT_MAN_SERV", "Retrait manuel par le service (secteur public)", "Withdrawn by the service (public sector)"),
    ("ST_CT_NON_DECLAR", "Sous-traitant ou cotraitant non déclaré", "Subcontractor or co-contractor not declared"),
    ("SUPPR_COMP_AVOIR", "Supprimée, compensée par un avoir", "Cancelled, offset by a credit note"),
    ("TRANSF_PMNT_REGIE", "Transmise pour paiement par la régie", "Passed on for payment by the public cashier"),
    ("CONTACT_ACHTR", "Contacter l'acheteur", "Contact the buyer"),
    ("NON_TRANSMISE", "Non transmise au destinataire", "Not transmitted to the recipient"),
    ("JUSTIF_ABS", "Justificatif absent", "Supporting document missing"),
    ("ROUTAGE_ERR", "Erreur de routage", "Routing error"),
    ("AUTRE", "Autre motif", "Other reason"),
    ("COORD_BANC_ERR", "Coordonnées bancaires erronées", "Wrong bank details"),
    ("TX_TVA_ERR", "Taux de TVA erroné", "Wrong VAT rate"),
    ("MONTANTTOTAL_ERR", "Montant total erroné", "Wrong total amount"),
    ("CALCUL_ERR", "Erreur de calcul", "Calculation error"),
    ("NON_CONFORME", "Facture non conforme", "Invoice not compliant"),
    ("DOUBLON", "Facture en double", "Duplicate invoice"),
    ("DEST_INC", "Destinataire inconnu", "Unknown recipient"),
    ("DEST_ERR", "Destinataire erroné", "Wrong recipient"),
    ("TRANSAC_INC", "Transaction inconnue", "Unknown transaction"),
    ("EMMET_INC", "Émetteur inconnu", "Unknown issuer"),
    ("CONTRAT_TERM", "Contrat terminé", "Contract ended"),
    ("DOUBLE_FACT", "Double facturation", "Invoiced twice"),
    ("CMD_ERR", "Référence de commande erronée ou absente", "Wrong or missing order reference"),
    ("ADR_ERR", "Adresse erronée", "Wrong address"),
    ("SIRET_ERR", "SIRET erroné ou absent", "Wrong or missing SIRET"),
    ("CODE_ROUTAGE_ERR", "Code de routage erroné ou absent", "Wrong or missing routing code"),
    ("REF_CT_ABSENT", "Référence du contrat absente", "Contract reference missing"),
    ("REF_ERR", "Référence erronée", "Wrong reference"),
    ("PU_ERR", "Prix unitaire erroné", "Wrong unit price"),
    ("REM_ERR", "Remise erronée", "Wrong discount"),
    ("QTE_ERR", "Quantité erronée", "Wrong quantity"),
    ("ART_ERR", "Article erroné", "Wrong item"),
    ("MODPAI_ERR", "Modalités de paiement erronées", "Wrong payment terms"),
    ("QUALITE_ERR", "Qualité de la livraison ou de la prestation contestée", "Quality of goods or service disputed"),
    ("LIVR_INCOMP", "Livraison incomplète", "Incomplete delivery"),
    ("REJ_SEMAN", "Rejet : règles de gestion non respectées", "Rejected: business rules not met"),
    ("REJ_UNI", "Rejet : facture déjà reçue (unicité)", "Rejected: invoice already received (uniqueness)"),
    ("REJ_COH", "Rejet : données incohérentes", "Rejected: inconsistent data"),
    ("REJ_ADR", "Rejet : erreur d'adressage", "Rejected: addressing error"),
    ("REJ_CONT_B2G", "Rejet : contrôles du secteur public", "Rejected: public-sector checks"),
    ("REJ_REF_PJ", "Rejet : pièce jointe référencée absente", "Rejected: referenced attachment missing"),
    ("REJ_ASS_PJ", "Rejet : pièce jointe mal associée", "Rejected: attachment wrongly associated"),
    ("IRR_VIDE_F", "Fichier vide", "Empty file"),
    ("IRR_TYPE_F", "Type de fichier refusé", "File type refused"),
    ("IRR_SYNTAX", "Syntaxe invalide", "Invalid syntax"),
    ("IRR_TAILLE_PJ", "Pièce jointe trop volumineuse", "Attachment too large"),
    ("IRR_NOM_PJ", "Nom de pièce jointe invalide", "Invalid attachment name"),
    ("IRR_VID_PJ", "Pièce jointe vide", "Empty attachment"),
    ("IRR_EXT_DOC", "Extension de document refusée", "Document extension refused"),
    ("IRR_TAILLE_F", "Fichier trop volumineux", "File too large"),
    ("IRR_ANTIVIRUS", "Fichier refusé par l'antivirus", "File refused by the antivirus"),
    ("IRR_NOM_F", "Nom de fichier invalide", "Invalid file name"),
)

REASONS: dict[str, ReasonInfo] = {
    code: ReasonInfo(code, en, fr, frozenset(s for s, codes in _ONLY.items() if code in codes))
    for code, fr, en in _REASON_TEXTS
}
"""The reason codes BR-FR-CDV-CL-09 accepts (a closed list), by code."""


def reasons_for(status: str, *, b2g: bool = False) -> tuple[ReasonInfo, ...]:
    """The reasons a message of ``status`` may carry (BR-FR-CDV-CL-09), in the list's order.

    ``b2g``: a refusal (210) by a public buyer through Chorus Pro, which has its own list.
    """
    if status == "210" and b2g:
        return tuple(r for r in REASONS.values() if r.code in B2G_REFUSAL_REASONS)
    only = _ONLY.get(status)
    if only is None:
        return tuple(REASONS.values())
    return tuple(REASONS[c] for c in only)


@dataclass(frozen=True, slots=True)
class ActionInfo:
    """One requested action (MDT-121), the closed list of BR-FR-CDV-CL-10."""

    code: str
    text_en: str
    text_fr: str

    def text(self, language: str = "fr") -> str:
        return self.text_fr if (language or "fr").lower().startswith("fr") else self.text_en


ACTIONS: dict[str, ActionInfo] = {
    a.code: a
    for a in (
        ActionInfo("NOA", "No action required", "Aucune action requise"),
        ActionInfo("PIN", "Provide the missing information", "Fournir les informations manquantes"),
        ActionInfo("NIN", "Issue a corrective invoice", "Émettre une facture rectificative"),
        ActionInfo("CNF", "Issue a credit note for the full amount", "Émettre un avoir total"),
        ActionInfo("CNP", "Issue a credit note for part of the amount", "Émettre un avoir partiel"),
        ActionInfo("CNA", "Issue a credit note for the stated amount", "Émettre un avoir du montant indiqué"),
        ActionInfo("OTH", "Other action (see the reason text)", "Autre action (voir le motif)"),
    )
}

ROLES: dict[str, tuple[str, str]] = {
    "SE": ("Vendeur", "Seller"),
    "BY": ("Acheteur", "Buyer"),
    "WK": ("Plateforme agréée", "Approved platform"),
    "DFH": ("Administration fiscale (PPF)", "Tax administration (PPF)"),
    "AB": ("Agent de l'acheteur", "Buyer's agent"),
    "DL": ("Facteur (affacturage)", "Factor"),
    "SR": ("Représentant fiscal du vendeur", "Seller's tax representative"),
    "PE": ("Bénéficiaire du paiement", "Payee"),
    "PR": ("Payeur", "Payer"),
    "II": ("Émetteur de la facture", "Invoice issuer"),
    "IV": ("Destinataire de la facture", "Invoicee"),
}
"""Party roles (MDT-21, MDT-40, MDT-59) the BR-FR-CDV-CL-02/03/04 rules accept: (French, English)."""

CHARACTERISTIC_TYPES = frozenset(
    ("MEN", "MPA", "RAP", "ESC", "RAB", "REM", "MAP", "MAPTTC", "MNA", "MNATTC", "CBB", "DIV", "DVA", "MAJ")
)
"""MDT-207 codes (BR-FR-CDV-CL-11); MEN is the amount cashed per VAT rate of a 212 message."""


def next_step(status: str, reason_code: str | None = None, action_code: str | None = None) -> Message | None:
    """What the seller should do after ``status`` (with its reason and requested action), or None.

    For the statuses that need the seller's attention: a rejection (213) or an inadmissible
    file (501), after which nothing was delivered; a routing error (221); a refusal (210),
    after which the invoice is cancelled by a credit note; a dispute, a partial approval or a
    suspension (207, 206, 208). The requested action of the message, when there is one, is
    named; otherwise the usual one for the status.
    """
    reason = REASONS.get(reason_code or "")
    why_fr = f" (motif : {reason.text_fr})" if reason else ""
    why_en = f" (reason: {reason.text_en})" if reason else ""
    action = ACTIONS.get(action_code or "")
    ask_fr = f" L'acheteur demande : {action.text_fr.lower()}." if action else ""
    ask_en = f" The buyer asks you to: {action.text_en[0].lower()}{action.text_en[1:]}." if action else ""
    if status == "213":
        return Message(
            fr=f"La plateforme a rejeté la facture{why_fr} : elle n'a pas été transmise et est réputée non émise. "
            "Corrigez-en la cause, puis émettez et déposez une facture corrigée.",
            en=f"The platform rejected the invoice{why_en}: it was not delivered and counts as not issued. "
            "Fix the cause, then issue and submit a corrected invoice.",
        )
    if status == "501":
        return Message(
            fr=f"Le fichier déposé est irrecevable{why_fr} : rien n'a été transmis. Corrigez le fichier "
            "(format, taille, nom, pièces jointes) et déposez-le de nouveau.",
            en=f"The submitted file is inadmissible{why_en}: nothing was delivered. Fix the file (format, "
            "size, name, attachments) and submit it again.",
        )
    if status == "221":
        return Message(
            fr="La plateforme n'a pas pu acheminer la facture (erreur de routage) : vérifiez l'adresse "
            "électronique de l'acheteur dans l'annuaire (SIREN, SIRET, code de routage), puis déposez-la de nouveau.",
            en="The platform could not route the invoice: check the buyer's electronic address in the "
            "directory (SIREN, SIRET, routing code), then submit it again.",
        )
    if status == "210":
        return Message(
            fr=f"L'acheteur a refusé la facture{why_fr}." + (ask_fr or " Annulez-la par un avoir, puis émettez "
            "si besoin une facture rectificative."),
            en=f"The buyer refused the invoice{why_en}." + (ask_en or " Cancel it with a credit note, then issue "
            "a corrective invoice if needed."),
        )
    if status in ("206", "207", "208"):
        what_fr = {"206": "n'a approuvé qu'une partie de", "207": "conteste", "208": "a suspendu"}[status]
        what_en = {"206": "approved only part of", "207": "disputes", "208": "suspended"}[status]
        return Message(
            fr=f"L'acheteur {what_fr} la facture{why_fr}." + (ask_fr or " Prenez contact avec lui pour la suite."),
            en=f"The buyer {what_en} the invoice{why_en}." + (ask_en or " Contact the buyer to settle it."),
        )
    return None
