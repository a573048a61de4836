"""Invoice life-cycle messages: CDAR D22B, French CDV profile (statuses 200 … 228, 501).

Django-free. ``STATUSES`` / ``REASONS`` / ``ACTIONS`` are the code tables; ``CdarMessage`` the
message as frozen values (``status_message`` fills one for a status with the right parties);
``build`` writes it, ``parse`` reads one (``CdarError`` when it cannot), ``validate`` checks
bytes against the D22B XSD (when its folder is given) and the BR-FR-CDV rules.
"""

from facturier.engine.cdar.build import build
from facturier.engine.cdar.codes import (
    ACTIONS,
    GUIDELINE_CDV,
    GUIDELINE_PPF,
    PHASE_PROCESSING,
    PHASE_TRANSMISSION,
    REASONS,
    ROLES,
    STATUSES,
    ActionInfo,
    ReasonInfo,
    StatusInfo,
    next_step,
    reasons_for,
)
from facturier.engine.cdar.model import (
    AmountCashed,
    CdarError,
    CdarMessage,
    Characteristic,
    Company,
    Party,
    Platform,
    ReferencedInvoice,
    StatusDetail,
    status_info,
    status_message,
)
from facturier.engine.cdar.parse import parse
from facturier.engine.cdar.validate import (
    CDV_RULES,
    CdarReport,
    validate,
    validate_tree,
    warm_up,
    xsd_dir_in,
)

LifecycleStatus = StatusInfo
"""The name interface 1 of the brief gives the status table's entries."""

__all__ = [
    "ACTIONS",
    "CDV_RULES",
    "GUIDELINE_CDV",
    "GUIDELINE_PPF",
    "PHASE_PROCESSING",
    "PHASE_TRANSMISSION",
    "REASONS",
    "ROLES",
    "STATUSES",
    "ActionInfo",
    "AmountCashed",
    "CdarError",
    "CdarMessage",
    "CdarReport",
    "Characteristic",
    "Company",
    "LifecycleStatus",
    "Party",
    "Platform",
    "ReasonInfo",
    "ReferencedInvoice",
    "StatusDetail",
    "StatusInfo",
    "build",
    "next_step",
    "parse",
    "reasons_for",
    "status_info",
    "status_message",
    "validate",
    "validate_tree",
    "warm_up",
    "xsd_dir_in",
]
