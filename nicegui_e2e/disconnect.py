"""The disconnect handler under test: install the #4304 guard, or put the bug back on purpose.

Runs inside the server process. It only touches the class and socket server it is handed, so the unit
tests drive it with stand-ins and no NiceGUI at all.

NiceGUI 2.11.0 looked a disconnecting socket up in ``Client._socket_to_document_id`` without checking that
the socket ever got there; a socket that disconnects before its ``handshake`` is processed is not there, and
``handle_disconnect`` raised ``KeyError`` (upstream issue #4304). 2.11.1 returns early instead.
"""

from __future__ import annotations

import functools
import inspect
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable

from packaging.version import InvalidVersion, Version

from .wire import MODES, Guard, Mode

UPSTREAM_GUARD_SINCE = Version('2.11.1')
"""The first NiceGUI release whose ``handle_disconnect`` returns early for a socket it never mapped."""

# ``client_cls`` below is NiceGUI's ``Client`` class of whichever release is installed, or a test's stand-in;
# it is probed and patched at runtime, so it is typed as ``Any`` at this boundary.


def tracks_sockets(client_cls: Any) -> bool:
    """Whether this NiceGUI keeps one mapping entry per socket (2.11 and newer)."""
    return 'socket_id' in inspect.signature(client_cls.handle_disconnect).parameters


class _ProbeMapping(dict):
    """An empty socket mapping that notes whether the handler asked before it looked the socket up."""

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[str] = []

    def __contains__(self, key: object) -> bool:
        self.steps.append('check')
        return False

    def get(self, key: object, default: object = None) -> object:
        self.steps.append('check')
        return default

    def pop(self, key: object, *default: object) -> object:
        self.steps.append('lookup')
        if default:
            return default[0]
        raise KeyError(key)

    def __getitem__(self, key: object) -> object:
        self.steps.append('lookup')
        raise KeyError(key)


def has_upstream_guard(client_cls: Any) -> bool:
    """Ask the handler itself, with an unknown socket id: does it check the mapping before it looks up?

    A behavioural probe instead of a version check, so a backport or a fork is judged by what it does.
    """
    probe = client_cls.__new__(client_cls)
    mapping = _ProbeMapping()
    probe._socket_to_document_id = mapping
    try:
        client_cls.handle_disconnect(probe, 'nicegui-e2e-probe')
    except Exception:
        pass  # the probe object is half-built; what matters is the order of the steps
    return bool(mapping.steps) and mapping.steps[0] == 'check'


def bug_present(client_cls: Any) -> bool:
    """Whether a storm that hits the race must raise #4304 here (asked after :func:`install`)."""
    return tracks_sockets(client_cls) and not has_upstream_guard(client_cls)


@dataclass(frozen=True)
class Fix:
    """What :func:`install` found and did."""

    guard: Guard
    words: str  # for the header and the summary
    lost_guard: bool = False  # this NiceGUI should carry the upstream guard and does not


def should_have_guard(nicegui_version: str) -> bool:
    """Whether this release should carry the upstream guard; an unreadable version is held to it."""
    try:
        return Version(nicegui_version) >= UPSTREAM_GUARD_SINCE
    except InvalidVersion:
        return True


def install(client_cls: Any, mode: Mode, nicegui_version: str) -> Fix:
    """Install ``mode`` on ``client_cls`` and say what was done.

    ``on`` still tells a regression apart from an old release: where NiceGUI should carry its own guard and
    the probe finds none, the suite's guard lets the storm run, and ``lost_guard`` makes the verdict fail."""
    if mode not in MODES:
        raise ValueError(f'disconnect fix mode must be one of {", ".join(MODES)}, not {mode!r}')
    if not tracks_sockets(client_cls):
        return Fix('not applicable', 'not applicable: no per-socket mapping before NiceGUI 2.11')
    guarded = has_upstream_guard(client_cls)
    lost = not guarded and should_have_guard(nicegui_version)
    if mode == 'bug':
        client_cls.handle_disconnect = _unguarded(client_cls.handle_disconnect)
        return Fix('restored', 'bug restored on purpose (pre-2.11.1 behaviour): #4304 expected')
    if guarded:
        return Fix('upstream', 'upstream guard present' + (' (as shipped)' if mode == 'off' else ''))
    lost_words = f'NiceGUI {nicegui_version} lost its own #4304 guard'
    if mode == 'off':
        return Fix('absent', f'as shipped: handler unguarded{f", {lost_words}" if lost else ""}', lost)
    client_cls.handle_disconnect = _guarded(client_cls.handle_disconnect)
    if lost:
        return Fix('applied', f'guard applied by the suite, but {lost_words}', lost)
    return Fix(
        'applied',
        f'guard applied by the suite: NiceGUI {nicegui_version} predates the upstream guard ({UPSTREAM_GUARD_SINCE})',
    )


def _guarded(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def handle_disconnect(self: Any, socket_id: str) -> Any:
        if socket_id not in self._socket_to_document_id:
            return None
        return original(self, socket_id)

    return handle_disconnect


def _unguarded(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def handle_disconnect(self: Any, socket_id: str) -> Any:
        # the lookup NiceGUI 2.11.0 made: a socket that never finished its handshake is not in the mapping
        self._socket_to_document_id[socket_id]
        return original(self, socket_id)

    return handle_disconnect


def dispatch_by_query(
    get_environ: Callable[[str], Mapping[str, Any]], instances: Mapping[str, Any]
) -> Callable[..., None]:
    """A disconnect event handler that finds the client by the socket's ``client_id`` query, as 2.11.0 did.

    Newer NiceGUI only reaches ``handle_disconnect`` for sockets that joined the client's room during the
    handshake, which hides the bug even when the handler is unguarded; the negative control needs this
    older route back to show the detector firing on every version.
    """

    def on_disconnect(sid: str, *_: Any) -> None:
        client = instances.get(client_id_of(get_environ(sid)) or '')
        if client is not None:
            client.handle_disconnect(sid)

    return on_disconnect


def connect_query(environ: Mapping[str, Any]) -> dict[str, str]:
    """The query a NiceGUI page puts in its socket's connect request (``client_id``, ``implicit_handshake``)."""
    query = urllib.parse.parse_qs(environ.get('asgi.scope', {}).get('query_string', b'').decode())
    return {key: values[0] for key, values in query.items()}


def client_id_of(environ: Mapping[str, Any]) -> str | None:
    return connect_query(environ).get('client_id')
