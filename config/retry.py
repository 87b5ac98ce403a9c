"""Growing delays between attempts, for whatever is retried (mail to send, a mailbox to
reconnect to)."""

from __future__ import annotations

from collections.abc import Sequence


def delay_after(delays: Sequence[float], failures: int) -> float:
    """The wait after `failures` failed attempts (0 for the first retry): each delay in
    turn, then the last one for ever."""
    return delays[min(max(failures, 0), len(delays) - 1)]
