"""The deadline rules, as data, per guidance version, each with its source.

A rule says: this obligation falls due ``period`` after the date in ``starts_from``, and is met on
the date in ``met_by``. Statutory rules come from the guidance; local targets are the partnership's
own practice where the guidance sets none, and are labelled so on screen.
"""

from dataclasses import dataclass

from workflows.stages import GuidanceVersion, ReviewType

GUIDANCE_2016 = (
    "Multi-Agency Statutory Guidance for the Conduct of Domestic Homicide Reviews "
    "(Home Office, December 2016), section 5"
)
GUIDANCE_2024_DRAFT = (
    "Draft Multi-Agency Statutory Guidance for the Conduct of Domestic Homicide Reviews "
    "(Home Office, May 2024)"
)
CSPR_GUIDANCE = "Working Together to Safeguard Children (2023), chapter 5: rapid reviews"
LOCAL_PRACTICE = "Local target set by the partnership: the guidance sets no fixed period"


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    period: str
    starts_from: str
    start_label: str
    met_by: str
    source: str
    statutory: bool = True
    review_types: tuple[str, ...] = ()

    def applies_to(self, review) -> bool:
        return not self.review_types or review.review_type in self.review_types


DECISION = Rule(
    code="decision",
    title="Decide whether to hold a review",
    period="1 month",
    starts_from="notified_on",
    start_label="notification",
    met_by="decided_on",
    source=GUIDANCE_2016 + ": decision within one month of the death coming to the CSP's attention",
)
NATIONAL_PANEL = Rule(
    code="national_panel_notification",
    title="Notify the Child Safeguarding Practice Review Panel",
    period="5 working days",
    starts_from="notified_on",
    start_label="notification",
    met_by="decided_on",
    source=CSPR_GUIDANCE + ": notify the national panel within 5 working days",
    review_types=(ReviewType.JOINT,),
)
TERMS_OF_REFERENCE = Rule(
    code="terms_of_reference",
    title="Agree the terms of reference",
    period="1 month",
    starts_from="setup_completed_on",
    start_label="set-up completed",
    met_by="terms_of_reference_agreed_on",
    source=LOCAL_PRACTICE + " (agreed at the first panel meeting)",
    statutory=False,
)
AGENCY_REPORTS = Rule(
    code="agency_reports",
    title="Receive every agency's report",
    period="2 months",
    starts_from="terms_of_reference_agreed_on",
    start_label="terms of reference agreed",
    met_by="agency_reports_completed_on",
    source=LOCAL_PRACTICE,
    statutory=False,
)
COMPLETION = Rule(
    code="completion",
    title="Complete the review",
    period="6 months",
    starts_from="commissioned_on",
    start_label="the decision to hold a review",
    met_by="signed_off_on",
    source=GUIDANCE_2016 + ": review completed within six months of the decision",
)
HOME_OFFICE_SUBMISSION = Rule(
    code="home_office_submission",
    title="Submit the report to the Home Office",
    period="1 month",
    starts_from="signed_off_on",
    start_label="local sign-off",
    met_by="submitted_to_home_office_on",
    source=LOCAL_PRACTICE,
    statutory=False,
)

RULES: dict[str, tuple[Rule, ...]] = {
    GuidanceVersion.DECEMBER_2016: (
        DECISION,
        NATIONAL_PANEL,
        TERMS_OF_REFERENCE,
        AGENCY_REPORTS,
        COMPLETION,
        HOME_OFFICE_SUBMISSION,
    ),
    # The May 2024 draft keeps the one-month decision and six-month completion, after a scoping
    # review; its sources are cited so a reviewer can check them when it is finalised.
    GuidanceVersion.MAY_2024_DRAFT: tuple(
        Rule(**{**rule.__dict__, "source": rule.source.replace(GUIDANCE_2016, GUIDANCE_2024_DRAFT)})
        for rule in (
            DECISION,
            NATIONAL_PANEL,
            TERMS_OF_REFERENCE,
            AGENCY_REPORTS,
            COMPLETION,
            HOME_OFFICE_SUBMISSION,
        )
    ),
}


def rules_for(review) -> tuple[Rule, ...]:
    """The rules that apply to this review under the guidance it runs under."""
    return tuple(rule for rule in RULES[review.guidance_version] if rule.applies_to(review))
