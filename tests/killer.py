"""Runs `saisine` and kills it (SIGKILL, as the OOM killer or a power cut would) right
after a chosen point, the Nth time it is passed:

    python -m tests.killer POINT N -- --config saisine.toml run --once

POINT is a pipeline step (the kill lands after it), `move` (after the message left the
inbox, before that was recorded) or `send` (after the SMTP server accepted a mail,
before it was marked sent). The code under test is not changed, only wrapped.
"""

from __future__ import annotations

import os
import signal
import smtplib
import sys
from functools import wraps

from ingest.mailbox import Mailbox
from worker import pipeline

POINTS = [step.__name__ for step in pipeline.PIPELINE] + ["move", "send"]
# Emails are moved in groups: the first move already carries both emails of the test.
NTH = {"move": 1}


def kill_after(function, nth: int):
    calls = 0

    @wraps(function)
    def wrapper(*args, **kwargs):
        nonlocal calls
        result = function(*args, **kwargs)
        calls += 1
        if calls == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    return wrapper


def main() -> None:
    point, nth, rest = sys.argv[1], int(sys.argv[2]), sys.argv[4:]
    if point == "move":
        Mailbox.move = kill_after(Mailbox.move, nth)
    elif point == "send":
        smtplib.SMTP.send_message = kill_after(smtplib.SMTP.send_message, nth)
    else:
        index = [step.__name__ for step in pipeline.PIPELINE].index(point)
        pipeline.PIPELINE[index] = kill_after(pipeline.PIPELINE[index], nth)
    from worker.cli import app

    sys.argv = ["saisine", *rest]
    app()


if __name__ == "__main__":
    main()
