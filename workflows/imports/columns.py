"""The import file's columns: the header row a coordinator fills in, and what each cell holds."""

import csv
import io
from dataclasses import dataclass

from workflows.stages import GuidanceVersion, ReviewType


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool
    guidance: str


VICTIM = "victim_real_name"
PERPETRATOR = "perpetrator_real_name"
DATE_OF_DEATH = "date_of_death"
NOTIFIED_ON = "notified_on"
REFERRED_BY = "referred_by"
REVIEW_TYPE = "review_type"
GUIDANCE = "guidance_version"
AGENCIES = "agencies"
CIRCUMSTANCES = "circumstances"
DECISION = "decision"
DECISION_DATE = "decided_on"
DECISION_REASONS = "decision_reasons"

DATE_FORMATS = "as DD/MM/YYYY (27/03/2027), as YYYY-MM-DD (2027-03-27) or as a date cell"

COLUMNS = (
    Column(
        VICTIM,
        "Name of the person who died",
        True,
        "Their full name. Restricted: shown only to the coordinator, CSP chair and independent "
        "chair, never in an email or a published document.",
    ),
    Column(
        PERPETRATOR,
        "Name of the alleged perpetrator",
        False,
        "Restricted, like the name of the person who died.",
    ),
    Column(DATE_OF_DEATH, "Date of death", True, f"Written {DATE_FORMATS}."),
    Column(
        NOTIFIED_ON,
        "Date notified",
        True,
        "The date the death came to the partnership's attention. On or after the date of death.",
    ),
    Column(
        REFERRED_BY,
        "Notified by",
        True,
        "The agency that told the partnership of the death, for example the police.",
    ),
    Column(
        REVIEW_TYPE,
        "Review type",
        False,
        "DHR, DARDR or Joint. Left empty, the review is a DHR.",
    ),
    Column(
        GUIDANCE,
        "Guidance",
        False,
        "2016 or 2024 draft. Left empty, the review runs under the December 2016 guidance.",
    ),
    Column(
        AGENCIES,
        "Agencies to ask",
        False,
        "Agencies to ask whether they knew the people involved, separated by semicolons. Each "
        "must be one of the partnership's agencies, spelt as it is in the service.",
    ),
    Column(CIRCUMSTANCES, "Circumstances", False, "Restricted. A short summary of what is known."),
    Column(
        DECISION,
        "Decision",
        False,
        "Whether the partnership decided to hold a review: Yes or No. Left empty if it has not "
        "decided yet.",
    ),
    Column(
        DECISION_DATE,
        "Decision date",
        False,
        "Needed with a decision. On or after the date notified.",
    ),
    Column(
        DECISION_REASONS,
        "Decision reasons",
        False,
        "The reasons for the decision. Needed when the decision is not to hold a review: the "
        "Home Office needs them.",
    ),
)
BY_KEY = {column.key: column for column in COLUMNS}
BY_HEADER = {column.header.casefold(): column for column in COLUMNS}

# What a coordinator may write in the choice columns (compared without case or spaces at the ends).
REVIEW_TYPES = {
    "dhr": ReviewType.DHR,
    "domestic homicide review": ReviewType.DHR,
    "domestic homicide review (dhr)": ReviewType.DHR,
    "dardr": ReviewType.DARDR,
    "domestic abuse related death review": ReviewType.DARDR,
    "domestic abuse related death review (dardr)": ReviewType.DARDR,
    "joint": ReviewType.JOINT,
    "joint review": ReviewType.JOINT,
}
GUIDANCE_VERSIONS = {
    "2016": GuidanceVersion.DECEMBER_2016,
    "december 2016": GuidanceVersion.DECEMBER_2016,
    "2024 draft": GuidanceVersion.MAY_2024_DRAFT,
    "2024-draft": GuidanceVersion.MAY_2024_DRAFT,
    "may 2024 draft": GuidanceVersion.MAY_2024_DRAFT,
}
DECISIONS = {
    "yes": True,
    "hold a review": True,
    "commissioned": True,
    "no": False,
    "do not hold a review": False,
    "not commissioned": False,
}


def header(key: str) -> str:
    return BY_KEY[key].header


def template_csv() -> str:
    """The header row to fill in, as a CSV file (UTF-8 with a byte order mark, so that Excel
    reads it as UTF-8 and saves it back the same way)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(column.header for column in COLUMNS)
    return "\ufeff" + buffer.getvalue()
