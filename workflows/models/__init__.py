from workflows.models.action_plan import Recommendation, RecommendationStatus
from workflows.models.changes import ChangeCount
from workflows.models.comments import PanelComment
from workflows.models.cover import Cover, TaskAction, TaskEvent
from workflows.models.deadlines import Deadline, DeadlineStatus
from workflows.models.documents import (
    Document,
    DocumentAccess,
    DocumentKind,
    DocumentVersion,
)
from workflows.models.participants import Participant, ParticipantRole
from workflows.models.people import (
    Agency,
    BankHolidayChange,
    Membership,
    Nation,
    Partnership,
    Role,
    User,
)
from workflows.models.publication import (
    CriminalProceedings,
    DevelopmentArea,
    NameCheckResult,
    PageFeedback,
    Publication,
    PublishedDocument,
    QaSubmission,
    RestrictedName,
)
from workflows.models.regions import Region, RegionalAccess
from workflows.models.reviews import Pause, Review, ReviewAgency, ReviewHistory

__all__ = [
    "CriminalProceedings",
    "DevelopmentArea",
    "NameCheckResult",
    "PageFeedback",
    "Publication",
    "PublishedDocument",
    "QaSubmission",
    "Recommendation",
    "RecommendationStatus",
    "RestrictedName",
    "PanelComment",
    "ChangeCount",
    "Agency",
    "BankHolidayChange",
    "Cover",
    "Deadline",
    "DeadlineStatus",
    "Document",
    "DocumentAccess",
    "DocumentKind",
    "DocumentVersion",
    "Membership",
    "Nation",
    "Participant",
    "ParticipantRole",
    "Partnership",
    "Pause",
    "Region",
    "RegionalAccess",
    "Review",
    "ReviewAgency",
    "ReviewHistory",
    "Role",
    "TaskAction",
    "TaskEvent",
    "User",
]
