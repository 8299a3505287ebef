"""What a Selenium Grid offers right now: its browser slots and how many of them are free.

Read from the Grid's ``/status`` (Selenium Grid 4: ``value.nodes[].slots[]``, a slot holding a ``session`` is
taken). A WebDriver server that is no Grid (a chromedriver named as ``remote_url``) reports no nodes: its offer
is unknown, and the suite asks it as before, bound by its own deadline. The crowd reads the offer before it asks
for browsers, so that it never queues behind sessions that other xdist workers hold for their whole run.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Offer:
    """Sessions of ``browser`` that the Grid's nodes that are up can hold at once, and how many of them they can
    start now; None where the server does not say."""

    browser: str
    slots: int | None
    free: int | None

    def __str__(self) -> str:
        if self.slots is None or self.free is None:
            return 'it reports no slots (no Selenium Grid status)'
        return f'it offers {self.slots} {self.browser} session(s) at a time, {self.free} free now'


def _node_offer(node: Mapping[str, Any], browser: str) -> tuple[int, int]:
    """(at a time, free now) of one node: its slots of ``browser``, capped by the sessions it runs at most
    (``maxSessions``: a node lists a slot per browser it found, but runs one session per core by default)."""
    slots = node.get('slots', [])
    mine = [slot for slot in slots if slot.get('stereotype', {}).get('browserName') == browser]
    limit = int(node.get('maxSessions') or len(slots))
    running = sum(1 for slot in slots if slot.get('session'))
    return min(len(mine), limit), max(min(sum(1 for slot in mine if not slot.get('session')), limit - running), 0)


def offer_of(status: Mapping[str, Any], browser: str = 'chrome') -> Offer:
    """The offer in a ``/status`` answer's ``value``; unknown where it lists no nodes."""
    nodes = status.get('nodes')
    if not isinstance(nodes, list) or not nodes:
        return Offer(browser, None, None)
    each = [_node_offer(node, browser) for node in nodes if node.get('availability', 'UP') == 'UP']
    return Offer(browser, sum(slots for slots, _ in each), sum(free for _, free in each))


def offer(url: str, browser: str = 'chrome', timeout: float = 5.0) -> Offer:
    """What the Grid at ``url`` offers now; unknown where it does not answer in ``timeout`` seconds."""
    try:
        with urllib.request.urlopen(f'{url}/status', timeout=timeout) as response:
            value = json.loads(response.read()).get('value', {})
    except (OSError, ValueError, urllib.error.URLError):
        return Offer(browser, None, None)
    return offer_of(value if isinstance(value, dict) else {}, browser)
