from .audit import GENESIS, HASHED_FIELDS, TransitionEvent, event_hash
from .choices import AttachmentKind, ContentType, FundingKind, FundingSource, Sector
from .dossier import Attachment, AttachmentRequirement, BudgetLine, Proposal, SupportCap, WorkItem
from .portal import CompletionReport, SettlementDossier, Voucher
from .steps import (
    Acceptance,
    Advance,
    Appraisal,
    Approval,
    ApprovalDecision,
    FinanceVerification,
    NationalRecord,
    ProgressReport,
    Settlement,
)
from .tasks import Delegation, SlaPolicy, Task

__all__ = [
    "GENESIS",
    "HASHED_FIELDS",
    "event_hash",
    "Acceptance",
    "Advance",
    "Appraisal",
    "Approval",
    "ApprovalDecision",
    "Attachment",
    "AttachmentKind",
    "AttachmentRequirement",
    "BudgetLine",
    "CompletionReport",
    "ContentType",
    "Delegation",
    "FinanceVerification",
    "FundingKind",
    "FundingSource",
    "NationalRecord",
    "ProgressReport",
    "Proposal",
    "Sector",
    "Settlement",
    "SettlementDossier",
    "SlaPolicy",
    "SupportCap",
    "Task",
    "TransitionEvent",
    "Voucher",
    "WorkItem",
]
