"""Deadline-bound waits that say what they waited for when they give up."""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar('T')


class WaitTimeout(TimeoutError):
    """A condition did not come true by its deadline."""


def wait_for(condition: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.02) -> T:
    """Poll ``condition`` until it returns something truthy, at most ``timeout`` seconds.

    Polling a cheap observation with a deadline is the event here: the things we wait on (a file the server
    writes, a count it reports, a flag in the page) have no callback we could subscribe to across processes.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise WaitTimeout(f'waited {timeout:g} s for {what}')
        time.sleep(interval)
