"""A storm's evidence, gathered from what was collected: a pure function of plain data, beside the pure verdict.

:mod:`nicegui_e2e.lifecycle` collects (the browsers' consoles and page checks, the server's events, state, log
and records); :func:`gather` turns that into the :class:`~nicegui_e2e.verdict.Evidence` that
:func:`~nicegui_e2e.verdict.judge_storm` reads. Nothing here starts, asks or waits for a browser or a server.
"""

from __future__ import annotations

import bisect
import re
import urllib.parse
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import incident
from .storm import StormResult
from .verdict import AfterPrune, Evidence, LaneTally
from .wire import ClientState, Diagnostics, Event

CONSOLE_EXPECTED = (
    'net::ERR_ABORTED',  # a load cut short by the next navigation: the storm's own doing
    'WebSocket is closed before the connection is established',
)
ERROR_STATUS = 'the server responded with a status of'
"""Chrome's console words for a page or resource answered with an error status."""
RESPONSE_TIMEOUT = re.compile(r'Response for (\S+) not ready after ')
"""NiceGUI's warning (3.x) for a page whose response was not ready within its response_timeout, with its path."""
TIMED_OUT_STATUS = 500
"""The status of NiceGUI's terminal error page for such a page (3.14.0 and later; before, #6126's reload loop)."""
RACELESS = {False: 'answered with an error page', True: 'whose client NiceGUI had deleted'}
"""Why a page left before its handshake could not hit the race, by whether its client was gone (else its page was
an error page): its socket's end reaches no handler that could meet a socket it never mapped."""
SELF_RELOAD = re.compile(r'reloading because (.+?)(?: for clientId \S*)?"?$')
"""What NiceGUI's page logs to the console before it reloads itself, with its reason."""


@dataclass(frozen=True)
class Collected:
    """What one storm left, as read from its browsers and its server once it settled."""

    result: StormResult
    cadence: str
    events: Sequence[Event]  # the server's, since the storm began
    snapshot: Diagnostics  # the server's state after the settle
    race_hits_before: int | None  # the server's count when the storm began; None: it keeps no per-socket mapping
    raw_log: str  # the server's stdout then stderr, since the storm began
    records: list[dict[str, Any]]  # the server's structured log records, since the storm began
    consoles: Sequence[Sequence[Mapping[str, Any]]]  # each browser's console entries
    checks: Sequence[tuple[bool, str]]  # each browser's page check: whether the page works, else why not
    lost_guard: bool  # the server found NiceGUI without the #4304 guard it should carry
    pruned: AfterPrune | None = None  # what NiceGUI's prune left, where the storm asked for it
    app_folder: str = ''  # the folder of the app's file, as the server ran it

    @property
    def console(self) -> list[dict[str, Any]]:
        """Every browser's console as one, each entry named by its browser where there are several."""
        several = len(self.consoles) > 1
        return [
            dict(entry, browser=n + 1) if several else dict(entry)
            for n, entries in enumerate(self.consoles)
            for entry in entries
        ]


def gather(
    collected: Collected,
    *,
    expect_race: bool,
    allowlist: Sequence[incident.AllowEntry] = (),
    versions: Mapping[str, str] | None = None,
    expect_error_pages: bool = False,
) -> Evidence:
    """The evidence of the storm ``collected``: its incidents judged against ``allowlist`` and ``versions``, its
    console read for what a storm does not do on purpose (error pages too, unless ``expect_error_pages``)."""
    result, events, snapshot = collected.result, collected.events, collected.snapshot
    raw_incidents = incident.parse_tracebacks(collected.raw_log)
    incidents = incident.merge(incident.from_records(collected.records), raw_incidents)
    before = collected.race_hits_before
    stale = lingering(snapshot, result.started)
    during = [event for event in events if event['t'] <= result.ended]
    paths: Counter[str] = Counter(event.get('handshake', 'explicit') for event in during if event['kind'] == 'connect')
    errors, timed_out = _error_pages(during, collected.records)
    console = collected.console
    severe = [entry['message'] for entry in console if entry.get('level') == 'SEVERE']
    unexpected = [
        m for m in severe if not _expected_console(m, expect_error_pages) and _console_path(m) not in timed_out
    ]
    raceless: Counter[str] = Counter(
        RACELESS[bool(event.get('gone'))]
        for event in events
        if event['kind'] == 'disconnect'
        and event.get('mapped') is False
        and (event.get('error_page') or event.get('gone'))
    )
    several = len(collected.checks) > 1
    failed_checks = [
        f'browser {n + 1}: {problem}' if several else problem
        for n, (works, problem) in enumerate(collected.checks)
        if not works
    ]
    return Evidence(
        scenario=result.scenario,
        cadence=collected.cadence,
        navigations=len(result.navigations),
        departures=result.departures,
        live_departures=result.live_departures,
        missed=result.missed,
        lost=result.lost,
        error_pages=dict(errors),
        timed_out=dict(timed_out),
        seconds=result.seconds,
        race_hits=None if before is None else snapshot['race_hits'] - before,
        raceless=dict(raceless),
        app_folder=collected.app_folder,
        expect_race=expect_race,
        keyerrors_raw=sum(i.is_4304 for i in raw_incidents),
        judged=incident.judge(incidents, allowlist, versions or {}),
        leaked_clients=len(stale),
        dead_mappings=snapshot['dead_mappings'],
        unconnected=sum(
            1
            for c in snapshot['clients']
            if not c['shared'] and not c['handshook'] and (c['created'] or 0) >= result.started
        ),
        page_works=not failed_checks,
        page_problem='; '.join(failed_checks),
        console_severe=unexpected,
        handshake_paths=dict(paths),
        lost_guard=collected.lost_guard,
        reconnect_timeout=snapshot.get('reconnect_timeout'),
        lanes=attribute(result, events, [c['id'] for c in stale], collected.consoles, collected.checks)
        if several
        else [],
        pruned=collected.pruned,
        dropped_events=sum(1 for event in events if event['kind'] == 'event_dropped'),
        clicks_checked=len(result.heard),
        unheard_clicks=len(set(result.heard) - {event.get('client') for event in events if event['kind'] == 'event'}),
        self_reloads=dict(Counter(why for why in map(self_reload, console) if why)),
        deleted_live=sum(1 for event in events if event['kind'] == 'deleted' and event.get('live')),
        error_pages_expected=expect_error_pages,
    )


def _error_pages(events: Sequence[Event], records: Sequence[Mapping[str, Any]]) -> tuple[Counter[str], Counter[str]]:
    """Page loads answered with an error status ('/x answered 404' -> loads), and apart from them, by path, the loads
    NiceGUI answered with its own error page for a page slower than its response_timeout (3.14.0 and later), one
    for each of its warnings that the page's response was not ready in time."""
    warned = Counter(
        match.group(1)
        for record in records
        if str(record.get('logger', '')).startswith('nicegui') and record.get('level') == 'WARNING'
        for match in [RESPONSE_TIMEOUT.match(str(record.get('message', '')))]
        if match
    )
    errors: Counter[str] = Counter()
    timed_out: Counter[str] = Counter()
    for event in events:
        if event['kind'] != 'response' or event.get('status', 200) < 400:
            continue
        path = str(event.get('path'))
        if event['status'] == TIMED_OUT_STATUS and timed_out[path] < warned[path]:
            timed_out[path] += 1
        else:
            errors[f'{path} answered {event["status"]}'] += 1
    return errors, timed_out


def _console_path(message: str) -> str:
    """The path of the URL a console message of Chrome's begins with ('http://127.0.0.1:8080/x - Failed to load
    resource: ...' -> '/x'), or ''."""
    return urllib.parse.urlsplit(message.split(' ', 1)[0]).path if message.startswith('http') else ''


def lingering(snapshot: Diagnostics, since: float) -> list[ClientState]:
    """Clients from this storm that handshook, have no live socket, and are still there."""
    return [
        c
        for c in snapshot['clients']
        if not c['shared'] and c['handshook'] and c['live_sockets'] == 0 and (c['created'] or 0) >= since
    ]


def self_reload(entry: Mapping[str, Any]) -> str:
    """NiceGUI's reason where this console entry is its page reloading itself (a failed handshake, a connection
    that timed out), else ''. A storm's own reloads log nothing."""
    match = SELF_RELOAD.search(str(entry.get('message', '')))
    return match.group(1) if match else ''


def _expected_console(message: str, error_pages: bool = False) -> bool:
    """Chrome's words for what a storm does on purpose; with ``error_pages``, also for a page served with an
    error status, which the verdict then shows as expected."""
    return any(pattern in message for pattern in CONSOLE_EXPECTED) or (error_pages and ERROR_STATUS in message)


def attribute(
    result: StormResult,
    events: Sequence[Event],
    leaked: Sequence[str],
    consoles: Sequence[Sequence[Mapping[str, Any]]],
    checks: Sequence[tuple[bool, str]],
) -> list[LaneTally]:
    """What each browser of a crowd did and caused, from the server's events: a socket names its browser when it
    connects, and each error of the disconnect handler is tied to the departure that caused it: the browser's
    last navigation before the disconnect, or 0 for the page check's, which leaves the storm's last page."""
    lane_of_client = {event.get('client'): event.get('lane', 0) for event in events if event['kind'] == 'connect'}
    tallies = []
    for n, lane in enumerate(result.lanes):
        mine = [event for event in events if event.get('lane', -1) == n]
        starts = [nav.t for nav in lane.navigations]
        caused = [
            bisect.bisect_right(starts, event['t']) if event['t'] <= lane.ended else 0
            for event in mine
            if event['kind'] == 'disconnect_error'
        ]
        tallies.append(
            LaneTally(
                browser=n + 1,
                navigations=len(lane.navigations),
                departures=lane.departures,
                live_departures=lane.live_departures,
                race_hits=sum(
                    1
                    for e in mine
                    if e['kind'] == 'disconnect'
                    and e.get('mapped') is False
                    and not e.get('error_page')
                    and not e.get('gone')
                ),
                handler_errors=caused,
                error_pages=sum(
                    1
                    for e in events
                    if e['kind'] == 'response'
                    and e.get('status', 200) >= 400
                    and lane_of_client.get(e.get('client')) == n
                ),
                leaked=sum(1 for client in leaked if lane_of_client.get(client) == n),
                console_severe=sum(
                    1
                    for entry in consoles[n]
                    if entry.get('level') == 'SEVERE' and not _expected_console(str(entry['message']))
                ),
                missed=len(lane.missed),
                page_works=checks[n][0],
            )
        )
    return tallies
