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
from typing import Any, Callable, Literal, Mapping

Mode = Literal['on', 'off', 'bug']
MODES: tuple[Mode, ...] = ('on', 'off', 'bug')

NOT_APPLICABLE = 'not applicable'
"""NiceGUI before 2.11 keeps no per-socket mapping, so neither the bug nor the fix exists there."""


def tracks_sockets(client_cls: type) -> bool:
    """Whether this NiceGUI keeps one mapping entry per socket (2.11 and newer)."""
    return 'socket_id' in inspect.signature(client_cls.handle_disconnect).parameters


class _ProbeMapping(dict):  # type: ignore[type-arg]
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


def has_upstream_guard(client_cls: type) -> bool:
    """Ask the handler itself, with an unknown socket id: does it check the mapping before it looks up?

    A behavioural probe instead of a version check, so a backport or a fork is judged by what it does.
    """
    probe = client_cls.__new__(client_cls)
    mapping = _ProbeMapping()
    probe._socket_to_document_id = mapping  # pylint: disable=protected-access
    try:
        client_cls.handle_disconnect(probe, 'nicegui-e2e-probe')
    except Exception:  # pylint: disable=broad-except
        pass  # the probe object is half-built; what matters is the order of the steps
    return bool(mapping.steps) and mapping.steps[0] == 'check'


def bug_present(client_cls: type) -> bool:
    """Whether a storm that hits the race must raise #4304 here (asked after :func:`install`)."""
    return tracks_sockets(client_cls) and not has_upstream_guard(client_cls)


def install(client_cls: type, mode: Mode) -> str:
    """Install ``mode`` on ``client_cls`` and say what was done, in words for the run's header."""
    if mode not in MODES:
        raise ValueError(f'disconnect fix mode must be one of {", ".join(MODES)}, not {mode!r}')
    if not tracks_sockets(client_cls):
        return NOT_APPLICABLE
    guarded = has_upstream_guard(client_cls)
    if mode == 'off':
        return 'off (upstream guard present)' if guarded else 'off (handler unguarded: #4304 expected)'
    if mode == 'on':
        if guarded:
            return 'upstream guard present'
        client_cls.handle_disconnect = _guarded(client_cls.handle_disconnect)
        return 'guard applied'
    client_cls.handle_disconnect = _unguarded(client_cls.handle_disconnect)
    return 'bug restored (pre-2.11.1 behaviour)'


def _guarded(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def handle_disconnect(self: Any, socket_id: str) -> Any:
        if socket_id not in self._socket_to_document_id:  # pylint: disable=protected-access
            return None
        return original(self, socket_id)
    return handle_disconnect


def _unguarded(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def handle_disconnect(self: Any, socket_id: str) -> Any:
        # the lookup NiceGUI 2.11.0 made: a socket that never finished its handshake is not in the mapping
        self._socket_to_document_id[socket_id]  # pylint: disable=protected-access,pointless-statement
        return original(self, socket_id)
    return handle_disconnect


def dispatch_by_query(get_environ: Callable[[str], Mapping[str, Any]],
                      instances: Mapping[str, Any]) -> Callable[..., None]:
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


def client_id_of(environ: Mapping[str, Any]) -> str | None:
    """The ``client_id`` a NiceGUI page puts in its socket's connect query."""
    query = urllib.parse.parse_qs(environ.get('asgi.scope', {}).get('query_string', b'').decode())
    return query.get('client_id', [None])[0]
