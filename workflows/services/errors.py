"""What a service says when it refuses: messages a user can read."""


class TransitionRefused(Exception):
    """The step cannot be taken now; ``messages`` say why, in words a user understands."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages))
        self.messages = messages


class ReviewChanged(TransitionRefused):
    """Someone else moved the review since this user loaded it."""
