"""Deadline-bound waits that say what they waited for when they give up."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar('T')


class WaitTimeout(TimeoutError):
    """A condition did not come true by its deadline."""


def _poll(condition: Callable[[], T | None], timeout: float, interval: float) -> T | None:
    """Poll ``condition`` until it returns something truthy, at most ``timeout`` seconds; None if it never did.

    Polling a cheap observation with a deadline is the event here: the things we wait on (a file the server
    writes, a count it reports, a flag in the page) have no callback we could subscribe to across processes.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def wait_for(condition: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.02) -> T:
    """What ``condition`` returned once it came true; :class:`WaitTimeout` naming ``what`` if it did not in time."""
    result = _poll(condition, timeout, interval)
    if not result:
        raise WaitTimeout(f'waited {timeout:g} s for {what}')
    return result


def wait_at_most(condition: Callable[[], object], *, timeout: float, interval: float = 0.02) -> bool:
    """Whether ``condition`` came true within ``timeout`` seconds. For the waits whose running out is no error:
    what is still there at the deadline is the finding, and the caller judges it."""
    return bool(_poll(condition, timeout, interval))
