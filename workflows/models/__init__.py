from workflows.models.deadlines import Deadline, DeadlineStatus
from workflows.models.people import (
    Agency,
    BankHolidayChange,
    Membership,
    Nation,
    Partnership,
    Role,
    User,
)
from workflows.models.reviews import Pause, Review, ReviewAgency, ReviewHistory

__all__ = [
    "Agency",
    "BankHolidayChange",
    "Deadline",
    "DeadlineStatus",
    "Membership",
    "Nation",
    "Partnership",
    "Pause",
    "Review",
    "ReviewAgency",
    "ReviewHistory",
    "Role",
    "User",
]
