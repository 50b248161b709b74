"""What the import says when it refuses a file."""


class ImportRefused(Exception):
    """The file cannot be imported; ``messages`` say why, each naming the row and the column
    (or the file) at fault. Nothing has been stored."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages))
        self.messages = messages
