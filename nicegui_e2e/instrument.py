"""Server-side instruments: a ledger of the connection lifecycle, race-hit counting and a handshake delay.

Runs inside the NiceGUI process the suite started, never in a user's production server. Every hook wraps
NiceGUI's own handler and calls through to it, so the code under test still runs; the wrappers only look
(and, for the fault injector, wait) before handing on.
"""
from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import threading
import time
from collections.abc import Awaitable
from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse

from .disconnect import connect_query
from .wire import ClientState, Diagnostics, Event, HandshakePath

race_log = logging.getLogger('nicegui_e2e.race')
HELD_MARK = 'nicegui_e2e_held'
"""The query key the browser hook adds where it turned an implicit handshake into an explicit one."""
LOOPBACK = {'127.0.0.1', '::1', 'localhost'}


class Ledger:
    """What the server saw: one event per lifecycle step, plus counters the verdict reads."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.race_hits = 0
        self.handshook: set[str] = set()  # client ids that completed a handshake at least once
        self._lock = threading.Lock()

    def record(self, kind: str, **data: Any) -> None:
        with self._lock:
            self.events.append(Event(t=time.time(), kind=kind, **data))  # type: ignore[typeddict-item]


def handshake_path(query: dict[str, str]) -> HandshakePath:
    """Which handshake this socket makes, read from its connect query (2.x sends no ``implicit_handshake``)."""
    if HELD_MARK in query:
        return 'held'
    return 'implicit' if query.get('implicit_handshake') == 'true' else 'explicit'


def _socket_mapped(instances: dict[str, Any], sid: str) -> bool:
    return any(sid in getattr(client, '_socket_to_document_id', {}) for client in list(instances.values()))


def _positional_arity(func: Callable[..., Any]) -> int:
    params = inspect.signature(func).parameters.values()
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return 99
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


# ``client_cls`` is NiceGUI's ``Client`` class of whichever release is installed; it is patched at runtime, so it
# is typed as ``Any`` at this boundary, as ``sio`` and ``nicegui_module`` are.
def instrument(ledger: Ledger, *, client_cls: Any, sio: Any, nicegui_module: Any,
               handshake_delay: float, tracks_sockets: bool,
               disconnect_route: Callable[..., Any] | None = None) -> None:
    """Wrap the client class and the socket.io handlers so that each lifecycle step lands in the ledger.

    ``disconnect_route`` replaces NiceGUI's own disconnect dispatch (the negative control's older route).
    """
    instances: dict[str, Any] = client_cls.instances
    original_init = client_cls.__init__
    original_delete = client_cls.delete

    @functools.wraps(original_init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        request = kwargs.get('request')
        ledger.record('page', client=self.id, path=getattr(getattr(request, 'url', None), 'path', None))

    @functools.wraps(original_delete)
    def delete(self: Any) -> None:
        ledger.record('deleted', client=self.id)
        original_delete(self)

    client_cls.__init__ = __init__
    client_cls.delete = delete

    handlers = sio.handlers['/']
    original_connect = handlers.get('connect')  # 2.x registers none
    original_handshake = handlers['handshake']
    original_disconnect = disconnect_route or handlers['disconnect']
    disconnect_arity = _positional_arity(original_disconnect)

    async def on_connect(sid: str, environ: dict[str, Any], *rest: Any) -> Any:
        query = connect_query(environ)
        ledger.record('connect', sid=sid, client=query.get('client_id'), handshake=handshake_path(query))
        if original_connect is None:
            return None
        result = original_connect(sid, environ, *rest[:_positional_arity(original_connect) - 2])
        return await result if inspect.isawaitable(result) else result

    async def on_handshake(sid: str, data: dict[str, Any]) -> bool:
        ledger.record('handshake', sid=sid, client=data.get('client_id'))
        if handshake_delay > 0:
            await asyncio.sleep(handshake_delay)  # the fault: a busy loop or slow storage, on purpose
        ok = await original_handshake(sid, data)
        if ok:
            ledger.handshook.add(data.get('client_id', ''))
        ledger.record('handshake_done', sid=sid, client=data.get('client_id'), ok=bool(ok),
                      connected=sio.manager.is_connected(sid, '/'))
        return ok

    def on_disconnect(sid: str, *rest: Any) -> Any:
        mapped = _socket_mapped(instances, sid) if tracks_sockets else None
        ledger.record('disconnect', sid=sid, mapped=mapped)
        if mapped is False:
            ledger.race_hits += 1
            race_log.info('disconnect: socket id %s does not exist', sid)
        return original_disconnect(sid, *rest[:disconnect_arity - 1])

    handlers['connect'] = on_connect
    handlers['handshake'] = on_handshake
    handlers['disconnect'] = on_disconnect
    if getattr(nicegui_module, '_on_handshake', None) is original_handshake:
        nicegui_module._on_handshake = on_handshake  # 3.x calls it directly for the implicit handshake


def _live_sockets(sio: Any, client_id: str) -> int:
    """Connected sockets in the client's room: every NiceGUI version puts a socket there at its handshake,
    so this also works where there is no per-socket mapping."""
    return sum(1 for sid, _ in sio.manager.get_participants('/', client_id) if sio.manager.is_connected(sid, '/'))


def snapshot(ledger: Ledger, *, client_cls: Any, sio: Any, since: int = 0,
             reconnect_timeout: float | None = None) -> Diagnostics:
    """The diagnostics the suite reads: live clients, socket mappings, race hits, events since ``since``."""
    clients: list[ClientState] = []
    dead_mappings = 0
    for client in list(client_cls.instances.values()):
        mapped = list(getattr(client, '_socket_to_document_id', {}))  # empty before 2.11
        dead_mappings += sum(1 for sid in mapped if not sio.manager.is_connected(sid, '/'))
        clients.append(ClientState(
            id=client.id, shared=bool(getattr(client, 'shared', False)), created=getattr(client, 'created', None),
            handshook=client.id in ledger.handshook, sockets=len(mapped), live_sockets=_live_sockets(sio, client.id)))
    with ledger._lock:  # pylint: disable=protected-access
        events = ledger.events[since:]
        total = len(ledger.events)
    return Diagnostics(time=time.time(), clients=clients, dead_mappings=dead_mappings, race_hits=ledger.race_hits,
                       events=events, event_count=total, reconnect_timeout=reconnect_timeout)


def diagnostics_endpoint(ledger: Ledger, *, client_cls: Any, sio: Any,
                         config: Any) -> Callable[[Request, int], Awaitable[JSONResponse]]:
    """The route the suite polls; it answers loopback callers only, as if it did not exist for others."""
    async def diagnostics(request: Request, since: int = 0) -> JSONResponse:
        if request.client is None or request.client.host not in LOOPBACK:
            return JSONResponse({'detail': 'Not Found'}, status_code=404)
        return JSONResponse(snapshot(ledger, client_cls=client_cls, sio=sio, since=since,
                                     reconnect_timeout=getattr(config, 'reconnect_timeout', None)))
    return diagnostics
