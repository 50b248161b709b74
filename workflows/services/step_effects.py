"""What a lifecycle step records beyond the review's own facts, in the step's transaction.

``review_transition`` calls ``step_effects`` after the transition is saved and its history row
written, and before its emails are queued, so a submission pack or a publication exists by the
time the email that links to it is written. Whatever an effect raises undoes the whole step.
"""

from workflows.publication.services import publication_publish
from workflows.qa.services import qa_outcome_record, submission_effect

EFFECTS = {
    "submit_to_home_office": submission_effect,
    "record_qa_approved": qa_outcome_record,
    "record_qa_approved_subject_to_changes": qa_outcome_record,
    "record_qa_resubmit": qa_outcome_record,
    "publish": publication_publish,
}


def step_effects(*, review, action: str, by, on, reason: str = "", **effects) -> None:
    """Run the effect registered for ``action`` (if any) with the form's extra answers."""
    effect = EFFECTS.get(action)
    if effect is not None:
        effect(review=review, by=by, on=on, reason=reason, **effects)
