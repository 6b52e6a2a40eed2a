from .audit import GENESIS, TransitionEvent
from .choices import AttachmentKind, ContentType, FundingKind, FundingSource, Sector
from .dossier import Attachment, AttachmentRequirement, BudgetLine, Proposal, SupportCap, WorkItem
from .steps import (
    Acceptance,
    Advance,
    Appraisal,
    Approval,
    ApprovalDecision,
    FinanceVerification,
    ProgressReport,
    Settlement,
)
from .tasks import Delegation, SlaPolicy, Task

__all__ = [
    "GENESIS", "Acceptance", "Advance", "Appraisal", "Approval", "ApprovalDecision", "Attachment",
    "AttachmentKind", "AttachmentRequirement", "BudgetLine", "ContentType", "Delegation", "FinanceVerification",
    "FundingKind", "FundingSource", "ProgressReport", "Proposal", "Sector", "Settlement", "SlaPolicy",
    "SupportCap", "Task", "TransitionEvent", "WorkItem",
]
