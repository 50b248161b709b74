"""The statutory stages of a review, in the order a review moves through them.

Source: Multi-Agency Statutory Guidance for the Conduct of Domestic Homicide Reviews
(Home Office, December 2016), and the May 2024 draft guidance for the scoping stage.
"""

from django.db import models


class Stage(models.TextChoices):
    NOTIFIED = "notified", "Notified"
    SCOPING = "scoping", "Scoping"
    NOT_COMMISSIONED = "not_commissioned", "Not commissioned"
    HOME_OFFICE_CHALLENGE = "home_office_challenge", "Challenged by the Home Office"
    SETUP = "setup", "Set-up"
    TERMS_OF_REFERENCE = "terms_of_reference", "Terms of reference"
    AGENCY_REPORTS = "agency_reports", "Agency reports"
    DRAFTING = "drafting", "Drafting"
    LOCAL_SIGN_OFF = "local_sign_off", "Local sign-off"
    HOME_OFFICE_QA = "home_office_qa", "Home Office quality assurance"
    PUBLICATION = "publication", "Publication"
    ACTION_PLAN = "action_plan", "Action plan monitoring"
    CLOSED = "closed", "Closed"
    PAUSED = "paused", "Paused"


# The stages a commissioned review works through, shown as the task list on the review page.
MAIN_PATH = [
    Stage.NOTIFIED,
    Stage.SCOPING,
    Stage.SETUP,
    Stage.TERMS_OF_REFERENCE,
    Stage.AGENCY_REPORTS,
    Stage.DRAFTING,
    Stage.LOCAL_SIGN_OFF,
    Stage.HOME_OFFICE_QA,
    Stage.PUBLICATION,
    Stage.ACTION_PLAN,
    Stage.CLOSED,
]

# A review can be paused from any stage where statutory work is still to do.
PAUSABLE = [
    Stage.NOTIFIED,
    Stage.SCOPING,
    Stage.SETUP,
    Stage.TERMS_OF_REFERENCE,
    Stage.AGENCY_REPORTS,
    Stage.DRAFTING,
    Stage.LOCAL_SIGN_OFF,
    Stage.HOME_OFFICE_QA,
    Stage.PUBLICATION,
]


class PauseReason(models.TextChoices):
    CRIMINAL_PROCEEDINGS = "criminal_proceedings", "Criminal proceedings"
    INQUEST = "inquest", "Inquest"
    IOPC = "iopc", "IOPC investigation"
    ANOTHER_REVIEW = "another_review", "Another review"
    OTHER = "other", "Other"


class ReviewType(models.TextChoices):
    DHR = "dhr", "Domestic Homicide Review (DHR)"
    DARDR = "dardr", "Domestic Abuse Related Death Review (DARDR)"
    JOINT = "joint", "Joint review (with a SAR or CSPR)"


class GuidanceVersion(models.TextChoices):
    DECEMBER_2016 = "2016", "December 2016 statutory guidance"
    MAY_2024_DRAFT = "2024-draft", "May 2024 draft guidance"


class QaOutcome(models.TextChoices):
    APPROVED = "approved", "Approved"
    APPROVED_SUBJECT_TO_CHANGES = "approved_subject_to_changes", "Approved subject to changes"
    RESUBMIT = "resubmit", "Resubmit"
