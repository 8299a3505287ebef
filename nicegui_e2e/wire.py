"""The data that crosses the boundary between the test process and the server process it started.

Declared here, in a module that imports nothing of NiceGUI, Starlette or pytest, so that both sides agree on
one shape and the test process never imports the server's stack to read it: the settings the controller
hands the server (an environment variable), the server's info (``server.json``) and the diagnostics it
answers on its loopback-only route.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Literal, Optional, TypedDict

Mode = Literal['on', 'off', 'bug']
MODES: tuple[Mode, ...] = ('on', 'off', 'bug')
"""How the server treats NiceGUI's disconnect handler: ``on`` guards it where NiceGUI lacks the guard,
``off`` leaves NiceGUI as shipped, ``bug`` puts the pre-2.11.1 lookup back on purpose."""

Guard = Literal['not applicable', 'upstream', 'applied', 'absent', 'restored']
"""What the handler the storm meets has: NiceGUI's own guard, the suite's, none, or the bug restored.
``not applicable``: NiceGUI before 2.11 keeps no per-socket mapping, so neither bug nor guard exists."""

HandshakePath = Literal['explicit', 'implicit', 'held']
"""How a page's socket handshook: a ``handshake`` event after connect (2.x, and 3.x's prefetched pages),
inside the connect request (3.x), or explicit because the suite's hold-back turned an implicit one into it."""

ENV = 'NICEGUI_E2E_SERVER'
DIAGNOSTICS_PATH = '/_nicegui_e2e/diagnostics'
PRUNE_PATH = '/_nicegui_e2e/prune'
"""Ages the storm's clients past NiceGUI's prune threshold, for NiceGUI's own prune to find on its schedule; loopback
callers only, as the diagnostics."""
PRUNE_AGE = 61.0
"""Seconds a client is made older by: NiceGUI prunes clients without a socket from 60 s of age, in every release."""
PRUNE_PERIOD = 1.0
"""Seconds between two runs of NiceGUI's prune timer (2.24 and later) in the servers the suite starts, instead of
NiceGUI's 10 s, so that a storm judged after the prune waits about a second for it. Only the period changes: the
timer, the prune and its threshold are NiceGUI's. Releases before 2.24 prune in a loop of their own every 10 s."""
PruneSchedule = Literal['timer', 'loop']
"""How the NiceGUI under test runs its prune: a timer of the app, whose runs the server counts, or (before 2.24)
an endless loop of its own, whose runs cannot be counted, only their effects seen."""
PING_EVENT = 'nicegui_e2e_ping'
"""The socket event of the page check's round trip; its handler exists only in servers the suite starts."""
HELD_MARK = 'nicegui_e2e_held'
"""The connect-query key the browser hook adds where it turned an implicit handshake into an explicit one."""
LANE_MARK = 'nicegui_e2e_lane'
"""The connect-query key naming the browser of a crowd a socket came from (0 for a storm of one browser)."""


@dataclass(frozen=True)
class BootSettings:
    """What the controller asks of the server process (JSON in :data:`ENV`); built from the controller's options
    (``nicegui_e2e.server.ServerOptions.boot``), where the defaults are."""

    app: str
    run_dir: str
    host: str
    port: int
    disconnect_fix: Mode
    handshake_delay: float
    disconnect_delay: float  # the fault: the server notices a socket's end late, as after a ping timeout
    reconnect_timeout: Optional[float]
    parent: int  # the controller's pid: the server ends itself when its parent is no longer this process
    module: str  # with ``attribute``: an app mounted on its own ASGI app (ui.run_with), imported as a module
    attribute: str

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls, text: str) -> BootSettings:
        return cls(**json.loads(text))


class ServerInfo(TypedDict):
    """``server.json``: published by the server once its port is bound, before the app's code runs."""

    pid: int
    host: str
    port: int
    nicegui: str
    python: str
    disconnect_fix: Mode
    guard: Guard
    fix: str  # the guard in words, for the header and the summary
    lost_guard: bool  # NiceGUI should carry its own #4304 guard (2.11.1 and later) and does not
    tracks_sockets: bool
    bug_present: bool  # a storm that hits the race must raise #4304 on this server
    handshake_delay: float
    prefix: str  # where NiceGUI is mounted (ui.run_with's mount_path); '' for ui.run


class ClientState(TypedDict):
    id: str
    shared: bool
    looks_connected: bool  # NiceGUI's own test: the client has a tab id, so its prune skips it
    created: Optional[float]
    handshook: bool
    sockets: int
    live_sockets: int


class Event(TypedDict, total=False):
    """One step of the lifecycle as the server saw it; ``kind`` says which of the other keys are there."""

    t: float
    kind: str  # page, response, connect, handshake, handshake_done, event, event_dropped, disconnect, disconnect_error,
    #            deleted
    client: Optional[str]
    sid: str
    path: Optional[str]
    status: int  # response: the page's HTTP status
    handshake: HandshakePath
    mapped: Optional[bool]
    error_page: bool  # disconnect: the socket's page was served with an error status
    gone: bool  # disconnect: NiceGUI had deleted the socket's client before the socket left
    ok: bool
    connected: bool
    lane: int  # connect, disconnect, disconnect_error: the browser of a crowd the socket came from
    error: str  # disconnect_error: the exception NiceGUI's disconnect handler raised
    live: int  # deleted: the client's sockets still connected then; a page that is open and now dead


class Diagnostics(TypedDict):
    """The answer of :data:`DIAGNOSTICS_PATH`: the server's state now, and its events since a given index."""

    time: float
    clients: list[ClientState]
    dead_mappings: int
    race_hits: int
    events: list[Event]
    event_count: int
    reconnect_timeout: Optional[float]
    pages: list[str]  # what a storm visits unless told otherwise: the app's routes without path parameters
    tasks: dict[str, int]  # pending asyncio tasks of the server's loop, by the qualified name of their coroutine
    prune_runs: Optional[int]  # runs of NiceGUI's prune finished so far; None where it prunes in its own loop


class Pruned(TypedDict):
    """The answer of :data:`PRUNE_PATH`."""

    aged: int  # clients made older
    how: PruneSchedule
    runs: Optional[int]  # runs of NiceGUI's prune finished before the clients were aged; None for a loop
