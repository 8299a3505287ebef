"""Server-side instruments: a ledger of the connection lifecycle, race-hit counting and a handshake delay.

Runs inside the NiceGUI process the suite started, never in a user's production server. Every hook wraps
NiceGUI's own handler and calls through to it, so the code under test still runs; the wrappers only look
(and, for the fault injector, wait) before handing on.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import inspect
import logging
import threading
import time
from collections import Counter
from collections.abc import Awaitable
from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse

from .disconnect import connect_query
from .wire import (
    HELD_MARK,
    LANE_MARK,
    PING_EVENT,
    PRUNE_AGE,
    PRUNE_PERIOD,
    ClientState,
    Diagnostics,
    Event,
    HandshakePath,
    Pruned,
    PruneSchedule,
)

race_log = logging.getLogger('nicegui_e2e.race')
prune_log = logging.getLogger('nicegui_e2e.prune')
LOOPBACK = {'127.0.0.1', '::1', 'localhost'}


class Ledger:
    """What the server saw: one event per lifecycle step, plus counters the verdict reads."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.race_hits = 0
        self.handshook: set[str] = set()  # client ids that completed a handshake at least once
        self.client_of: dict[str, str] = {}  # socket id -> the client id its page named when it connected
        self.lane_of: dict[str, int] = {}  # socket id -> the browser of a crowd it came from
        self.error_pages: set[str] = set()  # client ids of pages served with a 4xx or 5xx status
        self.prune_runs: int | None = None  # runs of NiceGUI's prune timer so far; None for a prune loop
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


def _instrument_client(ledger: Ledger, client_cls: Any, sio: Any) -> None:
    """Record each page a client is made for, its HTTP status, and its deletion, with the sockets its page
    still had connected then: a client deleted under a live page leaves that page dead (#4253)."""
    original_init = client_cls.__init__
    original_delete = client_cls.delete

    @functools.wraps(original_init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        request = kwargs.get('request')
        ledger.record('page', client=self.id, path=getattr(getattr(request, 'url', None), 'path', None))

    @functools.wraps(original_delete)
    def delete(self: Any) -> None:
        ledger.record('deleted', client=self.id, live=_live_sockets(sio, self.id))
        original_delete(self)

    original_build_response = client_cls.build_response

    @functools.wraps(original_build_response)
    def build_response(self: Any, request: Any, status_code: int = 200) -> Any:
        ledger.record('response', client=self.id, path=request.url.path, status=status_code)
        if status_code >= 400:
            ledger.error_pages.add(self.id)
        return original_build_response(self, request, status_code)

    client_cls.__init__ = __init__
    client_cls.delete = delete
    client_cls.build_response = build_response


def _ping_handler(instances: dict[str, Any], sio: Any) -> Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]:
    """The page check's round trip, on any app: the page's socket reaches this handler, which finds the page's
    client, has NiceGUI run JavaScript in the page and waits for the page's answer."""

    async def on_ping(sid: str, data: dict[str, Any]) -> dict[str, Any]:
        client = instances.get(str(data.get('client_id')))
        if client is None:
            return {'ok': False, 'why': 'the server has no client for this page'}
        if not _in_room(sio, client.id, sid):
            return {'ok': False, 'why': "the page's socket is not in its client's room"}
        nonce = int(data.get('nonce', 0))
        code = f'(window.__niceguiE2E = window.__niceguiE2E || {{}}).pong = {nonce}'
        if getattr(client, 'shared', False):
            # a shared page (2.x's auto-index page of a script) cannot await an answer: NiceGUI sends the
            # JavaScript to every tab of it, and the page check waits for the effect instead
            client.run_javascript(code)
            return {'ok': True, 'why': ''}
        try:
            echoed = await client.run_javascript(code, timeout=5)
        except Exception as error:
            return {'ok': False, 'why': f'NiceGUI did not run JavaScript in the page: {type(error).__name__}: {error}'}
        return {'ok': echoed == nonce, 'why': '' if echoed == nonce else f'the page answered {echoed!r}'}

    return on_ping


# ``client_cls`` is NiceGUI's ``Client`` class of whichever release is installed; it is patched at runtime, so it
# is typed as ``Any`` at this boundary, as ``sio`` and ``nicegui_module`` are.
def instrument(
    ledger: Ledger,
    *,
    client_cls: Any,
    sio: Any,
    nicegui_module: Any,
    handshake_delay: float,
    tracks_sockets: bool,
    disconnect_delay: float = 0.0,
    disconnect_route: Callable[..., Any] | None = None,
) -> None:
    """Wrap the client class and the socket.io handlers so that each lifecycle step lands in the ledger.

    ``disconnect_route`` replaces NiceGUI's own disconnect dispatch (the negative control's older route).
    ``disconnect_delay`` holds each disconnect back before NiceGUI hears of it: a server that notices a dropped
    connection only when its ping times out, after the page already came back on a new socket.
    """
    instances: dict[str, Any] = client_cls.instances
    _instrument_client(ledger, client_cls, sio)

    handlers = sio.handlers['/']
    original_connect = handlers.get('connect')  # 2.x registers none
    original_handshake = handlers['handshake']
    original_event = handlers['event']
    original_disconnect = disconnect_route or handlers['disconnect']
    disconnect_arity = _positional_arity(original_disconnect)

    async def on_connect(sid: str, environ: dict[str, Any], *rest: Any) -> Any:
        query = connect_query(environ)
        ledger.client_of[sid] = query.get('client_id', '')
        lane = ledger.lane_of[sid] = int(query[LANE_MARK]) if query.get(LANE_MARK, '').isdigit() else 0
        ledger.record('connect', sid=sid, client=query.get('client_id'), handshake=handshake_path(query), lane=lane)
        if original_connect is None:
            return None
        result = original_connect(sid, environ, *rest[: _positional_arity(original_connect) - 2])
        return await result if inspect.isawaitable(result) else result

    async def on_handshake(sid: str, data: dict[str, Any]) -> bool:
        ledger.record('handshake', sid=sid, client=data.get('client_id'))
        if handshake_delay > 0:
            await asyncio.sleep(handshake_delay)  # the fault: a busy loop or slow storage, on purpose
        ok = await original_handshake(sid, data)
        if ok:
            ledger.handshook.add(data.get('client_id', ''))
        ledger.record(
            'handshake_done',
            sid=sid,
            client=data.get('client_id'),
            ok=bool(ok),
            connected=sio.manager.is_connected(sid, '/'),
        )
        return ok

    def on_disconnect(sid: str, *rest: Any) -> Any:
        mapped = _socket_mapped(instances, sid) if tracks_sockets else None
        client = ledger.client_of.pop(sid, '')
        error_page = client in ledger.error_pages
        gone = bool(client) and client not in instances  # deleted before its socket left: no handler runs for it
        lane = ledger.lane_of.pop(sid, 0)
        ledger.record('disconnect', sid=sid, client=client, mapped=mapped, error_page=error_page, gone=gone, lane=lane)
        # leaving an error page is a finding of its own, and a deleted client's socket reaches no handler: neither
        # is the race, whose hit is a handler that runs for a socket it never mapped
        if mapped is False and not error_page and not gone:
            ledger.race_hits += 1
            race_log.info('disconnect: socket id %s does not exist', sid)
        try:  # an error is tied to its socket here, so a crowd's errors are attributed to their browser
            result = original_disconnect(sid, *rest[: disconnect_arity - 1])
        except Exception as error:
            ledger.record('disconnect_error', sid=sid, lane=lane, error=type(error).__name__)
            raise
        return _watched(result, ledger, sid, lane) if inspect.isawaitable(result) else result

    handlers['connect'] = on_connect
    handlers['handshake'] = on_handshake
    handlers['event'] = _event_handler(ledger, instances, original_event)
    handlers['disconnect'] = _late(on_disconnect, disconnect_delay) if disconnect_delay > 0 else on_disconnect
    handlers[PING_EVENT] = _ping_handler(instances, sio)
    if getattr(nicegui_module, '_on_handshake', None) is original_handshake:
        nicegui_module._on_handshake = on_handshake  # 3.x calls it directly for the implicit handshake


def _event_handler(ledger: Ledger, instances: dict[str, Any], original: Callable[..., Any]) -> Callable[..., Any]:
    """NiceGUI's event handler, recording each event of a page whose client NiceGUI has: heard (``event``), or
    dropped without a word because the page's handshake is not processed yet (``event_dropped``, #4753). One for a
    client NiceGUI no longer has reaches no handler, and neither record counts it."""

    def on_event(sid: str, message: Any, *rest: Any) -> Any:
        client = instances.get(str(message.get('client_id'))) if isinstance(message, dict) else None
        if client is not None:
            kind = 'event' if getattr(client, 'has_socket_connection', True) else 'event_dropped'
            ledger.record(kind, sid=sid, client=client.id, lane=ledger.lane_of.get(sid, 0))
        return original(sid, message, *rest)

    return on_event


def _late(handler: Callable[..., Any], delay: float) -> Callable[..., Awaitable[Any]]:
    """``handler``, called ``delay`` seconds after the event: the fault of a late disconnect."""

    async def late(sid: str, *rest: Any) -> Any:
        await asyncio.sleep(delay)
        result = handler(sid, *rest)
        return await result if inspect.isawaitable(result) else result

    return late


async def _watched(result: Awaitable[Any], ledger: Ledger, sid: str, lane: int) -> Any:
    """An asynchronous disconnect handler's error, recorded against its socket as a synchronous one's is."""
    try:
        return await result
    except Exception as error:
        ledger.record('disconnect_error', sid=sid, lane=lane, error=type(error).__name__)
        raise


def storm_pages(client_cls: Any, core: Any) -> list[str]:
    """The pages a storm may visit: every ``@ui.page`` route without path parameters, and ``/`` where the app
    draws its UI at the top level (a 3.x root function or script, a 2.x auto-index page with content)."""
    paths = {path for path in client_cls.page_routes.values() if '{' not in path}
    auto_index = getattr(client_cls, 'auto_index_client', None)  # 2.x
    if getattr(core, 'root', None) is not None or (auto_index is not None and auto_index.content.default_slot.children):
        paths.add('/')
    return sorted(paths)


def _in_room(sio: Any, client_id: str, sid: str) -> bool:
    return any(member == sid for member, _ in sio.manager.get_participants('/', client_id))


def _live_sockets(sio: Any, client_id: str) -> int:
    """Connected sockets in the client's room: every NiceGUI version puts a socket there at its handshake,
    so this also works where there is no per-socket mapping."""
    return sum(1 for sid, _ in sio.manager.get_participants('/', client_id) if sio.manager.is_connected(sid, '/'))


def snapshot(
    ledger: Ledger,
    *,
    client_cls: Any,
    sio: Any,
    since: int = 0,
    reconnect_timeout: float | None = None,
    pages: list[str] | None = None,
) -> Diagnostics:
    """The diagnostics the suite reads: live clients, socket mappings, race hits, events since ``since``."""
    clients: list[ClientState] = []
    dead_mappings = 0
    for client in list(client_cls.instances.values()):
        mapped = list(getattr(client, '_socket_to_document_id', {}))  # empty before 2.11
        dead_mappings += sum(1 for sid in mapped if not sio.manager.is_connected(sid, '/'))
        clients.append(
            ClientState(
                id=client.id,
                shared=bool(getattr(client, 'shared', False)),
                created=getattr(client, 'created', None),
                looks_connected=bool(getattr(client, 'has_socket_connection', False)),
                handshook=client.id in ledger.handshook,
                sockets=len(mapped),
                live_sockets=_live_sockets(sio, client.id),
            )
        )
    with ledger._lock:
        events = ledger.events[since:]
        total = len(ledger.events)
    return Diagnostics(
        time=time.time(),
        clients=clients,
        dead_mappings=dead_mappings,
        race_hits=ledger.race_hits,
        events=events,
        event_count=total,
        reconnect_timeout=reconnect_timeout,
        pages=pages or [],
        tasks=pending_tasks(),
        prune_runs=ledger.prune_runs,
    )


def pending_tasks() -> dict[str, int]:
    """The loop's unfinished tasks by their coroutine's qualified name (a task's own name changes between
    releases, its coroutine does not); the diagnostics request's own task excluded."""
    current = asyncio.current_task()
    names = Counter(
        getattr(task.get_coro(), '__qualname__', type(task.get_coro()).__name__)
        for task in asyncio.all_tasks()
        if not task.done() and task is not current
    )
    return dict(names)


def _loopback(request: Request) -> bool:
    return request.client is not None and request.client.host in LOOPBACK


def count_prunes(ledger: Ledger, *, client_cls: Any, app: Any) -> PruneSchedule:
    """Count the runs of NiceGUI's own prune, and have NiceGUI's timer run it every :data:`PRUNE_PERIOD` seconds
    instead of 10: NiceGUI (2.24 and later) starts that timer at startup, after this, with the class's
    ``prune_instances``, so the timer finds the counting one and the app's ``timer`` the shorter period. Before
    2.24, ``prune_instances`` is NiceGUI's endless prune loop, started at startup too: left alone, its runs
    are not counted."""
    original = client_cls.prune_instances
    if inspect.iscoroutinefunction(original):
        return 'loop'
    ledger.prune_runs = 0

    @functools.wraps(original)
    def prune_instances(_cls: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(*args, **kwargs)
        finally:
            ledger.prune_runs = (ledger.prune_runs or 0) + 1

    client_cls.prune_instances = classmethod(prune_instances)
    timer = app.timer  # NiceGUI's Timer class, an attribute of its App class

    def sooner(interval: float, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        ours = getattr(callback, '__func__', None) is prune_instances
        return timer(PRUNE_PERIOD if ours else interval, callback, *args, **kwargs)

    app.timer = sooner
    return 'timer'


def prune_endpoint(
    ledger: Ledger,
    client_cls: Any,
    schedule: PruneSchedule,
) -> Callable[[Request, float], Awaitable[JSONResponse]]:
    """Age the clients created since ``since`` past NiceGUI's prune threshold, and no more: NiceGUI's own prune
    deletes them on its own schedule (:func:`count_prunes`), or does not, which is then the finding. The answer
    says how many runs of NiceGUI's prune had finished by then, so the suite can wait for the next one."""

    async def prune(request: Request, since: float = 0.0) -> JSONResponse:
        if not _loopback(request):
            return JSONResponse({'detail': 'Not Found'}, status_code=404)
        aged = 0
        for client in list(client_cls.instances.values()):
            if not getattr(client, 'shared', False) and (getattr(client, 'created', 0) or 0) >= since:
                client.created -= PRUNE_AGE
                aged += 1
        prune_log.info('prune: %d client(s) of the storm aged past the threshold', aged)
        return JSONResponse(Pruned(aged=aged, how=schedule, runs=ledger.prune_runs))

    return prune


def diagnostics_endpoint(
    ledger: Ledger,
    *,
    client_cls: Any,
    sio: Any,
    core: Any,
) -> Callable[[Request, int], Awaitable[JSONResponse]]:
    """The route the suite polls; it answers loopback callers only, as if it did not exist for others. With
    ``collect``, a garbage collection runs first, so that what it reads is what something still holds: a task
    nothing references is destroyed then, and asyncio logs it if it was still pending (#4500)."""

    async def diagnostics(request: Request, since: int = 0, collect: bool = False) -> JSONResponse:
        if not _loopback(request):
            return JSONResponse({'detail': 'Not Found'}, status_code=404)
        if collect:
            gc.collect()
        return JSONResponse(
            snapshot(
                ledger,
                client_cls=client_cls,
                sio=sio,
                since=since,
                reconnect_timeout=getattr(core.app.config, 'reconnect_timeout', None),
                pages=storm_pages(client_cls, core),
            )
        )

    return diagnostics
