"""The server's ledger of the lifecycle, with stand-ins for NiceGUI's client class and its socket.io server: what
counts as a race hit, and what a page left before its handshake could not race for."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from nicegui_e2e.instrument import Ledger, instrument


class Client:
    """NiceGUI's Client as the ledger wraps it: instances by id, a per-socket mapping, an HTTP response."""

    instances: ClassVar[dict[str, Any]] = {}

    def __init__(self, client_id: str) -> None:
        self.id = client_id
        self._socket_to_document_id: dict[str, str] = {}
        Client.instances[client_id] = self

    def delete(self) -> None:
        del Client.instances[self.id]

    def build_response(self, request: Any, status_code: int = 200) -> int:
        return status_code


class Manager:
    def get_participants(self, namespace: str, room: str) -> list[tuple[str, str]]:
        return []

    def is_connected(self, sid: str, namespace: str) -> bool:
        return False


class Server:
    """A socket.io server with NiceGUI's handlers: the disconnect handler does nothing, as a guarded one does."""

    def __init__(self) -> None:
        async def handshake(sid: str, data: dict[str, Any]) -> bool:
            return True

        self.manager = Manager()
        self.handlers: dict[str, dict[str, Any]] = {
            '/': {'handshake': handshake, 'event': lambda sid, message: None, 'disconnect': lambda sid: None}
        }


class Request:
    def __init__(self, path: str) -> None:
        self.url = type('URL', (), {'path': path})()


def test_a_socket_left_before_its_handshake_is_a_race_hit_only_where_a_handler_could_meet_it() -> None:
    Client.instances.clear()
    ledger, sio = Ledger(), Server()
    instrument(ledger, client_cls=Client, sio=sio, nicegui_module=None, handshake_delay=0, tracks_sockets=True)
    handlers = sio.handlers['/']
    live, error_page, deleted = Client('live'), Client('error'), Client('deleted')
    error_page.build_response(Request('/slow'), 500)  # 3.14.0 and later: a page slower than its response_timeout
    for n, client in enumerate((live, error_page, deleted)):
        asyncio.run(
            handlers['connect'](f'sid-{n}', {'asgi.scope': {'query_string': f'client_id={client.id}'.encode()}})
        )
    deleted.delete()  # 3.13.0 (#6126): deleted at the response timeout, before its socket left
    for n in range(3):
        handlers['disconnect'](f'sid-{n}')
    left = [
        (event['client'], event['gone'], event['error_page'])
        for event in ledger.events
        if event['kind'] == 'disconnect'
    ]
    assert left == [('live', False, False), ('error', False, True), ('deleted', True, False)]
    assert ledger.race_hits == 1


def test_an_event_is_heard_where_its_page_handshook_and_dropped_where_it_did_not() -> None:
    Client.instances.clear()
    ledger, sio = Ledger(), Server()
    instrument(ledger, client_cls=Client, sio=sio, nicegui_module=None, handshake_delay=0, tracks_sockets=True)
    live, early = Client('live'), Client('early')
    live.has_socket_connection, early.has_socket_connection = True, False  # type: ignore[attr-defined]
    for client in ('live', 'early', 'deleted'):
        sio.handlers['/']['event']('sid', {'client_id': client, 'id': 5})
    assert [(event['kind'], event['client']) for event in ledger.events if event['kind'] != 'page'] == [
        ('event', 'live'),
        ('event_dropped', 'early'),  # 2.17.0 and before (#4753): NiceGUI drops it without a word
    ]
