"""A local SMTP server that writes down every message it receives, as its own process.

``python -m chaos.sink --port 2525 --record received.txt`` appends one line per message: the
outbox row's id and the message's Message-ID. The outbox names each message after its row
(``notifications.sending._message``: ``<...email-42@dhr.example>``), so the record tells which
row arrived how many times without keeping addresses or content. A separate process: the sink
keeps recording while the drill kills the worker and the broker around it, and it never
competes with the sender for one interpreter.
"""

import argparse
import re
import signal
import threading
from email.parser import BytesHeaderParser
from pathlib import Path

from aiosmtpd.controller import Controller

ROW_ID = re.compile(r"\.email-(\d+)@")


def row_id(message_id: str) -> int | None:
    """The outbox row a Message-ID names, or None for a message the outbox did not build."""
    found = ROW_ID.search(message_id or "")
    return int(found.group(1)) if found else None


class Recorder:
    """aiosmtpd handler: one line per accepted message, flushed before the 250 reply."""

    def __init__(self, record: Path):
        self.file = record.open("a", buffering=1)
        self.parser = BytesHeaderParser()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message_id = str(self.parser.parsebytes(envelope.content)["Message-ID"] or "")
        email_id = row_id(message_id)
        # Flushed before the reply: a message the sender saw accepted is on record.
        self.file.write(f"{'-' if email_id is None else email_id} {message_id}\n")
        self.file.flush()
        return "250 Message accepted for delivery"


def received(record: Path) -> list[int]:
    """The row ids recorded so far, one entry per message received (repeats are duplicates)."""
    if not record.exists():
        return []
    ids = []
    for line in record.read_text().splitlines():
        first = line.split(" ", 1)[0]
        if first.isdigit():
            ids.append(int(first))
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", type=Path, required=True)
    options = parser.parse_args()
    controller = Controller(Recorder(options.record), hostname="127.0.0.1", port=options.port)
    controller.start()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(f"recording to {options.record} on 127.0.0.1:{options.port}", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
