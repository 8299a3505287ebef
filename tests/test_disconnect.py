"""The fix's install logic, on stand-ins shaped like NiceGUI's client classes across versions."""

from typing import ClassVar

import pytest

from nicegui_e2e import disconnect


def make_client(guarded: bool, per_socket: bool = True):
    """A class with the disconnect handler of NiceGUI 2.10 (no socket id), 2.11.0 or 2.11.1 and later."""

    class Client:
        instances: ClassVar[dict] = {}

        def __init__(self):
            self._socket_to_document_id = {}
            self.disconnected = []

        if per_socket:

            def handle_disconnect(self, socket_id):
                if guarded and socket_id not in self._socket_to_document_id:
                    return
                self.disconnected.append(self._socket_to_document_id.pop(socket_id))
        else:

            def handle_disconnect(self):
                self.disconnected.append('all')

    return Client


def test_guard_is_applied_where_missing_and_stops_the_key_error():
    client_cls = make_client(guarded=False)
    fix = disconnect.install(client_cls, 'on', '2.11.0')
    assert (fix.guard, fix.lost_guard) == ('applied', False)
    assert fix.words == 'guard applied by the suite: NiceGUI 2.11.0 predates the upstream guard (2.11.1)'
    client = client_cls()
    client.handle_disconnect('never-handshook')  # 2.11.0 raised KeyError here
    client._socket_to_document_id['s1'] = 'd1'
    client.handle_disconnect('s1')
    assert client.disconnected == ['d1']


def test_upstream_guard_is_recognised_and_left_alone():
    client_cls = make_client(guarded=True)
    original = client_cls.handle_disconnect
    assert disconnect.install(client_cls, 'on', '3.18.0') == disconnect.Fix('upstream', 'upstream guard present')
    assert client_cls.handle_disconnect is original


def test_a_release_that_lost_the_guard_is_patched_but_flagged():
    """``on`` must not hide a regression: the storm runs, and the verdict fails (see test_storm)."""
    client_cls = make_client(guarded=False)
    fix = disconnect.install(client_cls, 'on', '3.19.0')
    assert (fix.guard, fix.lost_guard) == ('applied', True)
    assert fix.words == 'guard applied by the suite, but NiceGUI 3.19.0 lost its own #4304 guard'
    client_cls().handle_disconnect('never-handshook')  # the storm can run


def test_off_changes_nothing_and_says_what_it_found():
    unguarded = make_client(guarded=False)
    original = unguarded.handle_disconnect
    assert disconnect.install(unguarded, 'off', '2.11.0') == disconnect.Fix('absent', 'as shipped: handler unguarded')
    assert unguarded.handle_disconnect is original
    assert disconnect.install(make_client(guarded=False), 'off', '3.0.0').lost_guard
    assert disconnect.install(make_client(guarded=True), 'off', '3.0.0').words == 'upstream guard present (as shipped)'


def test_bug_mode_puts_the_key_error_back_on_a_fixed_version():
    client_cls = make_client(guarded=True)
    fix = disconnect.install(client_cls, 'bug', '3.18.0')
    assert (fix.guard, fix.lost_guard) == ('restored', False)
    with pytest.raises(KeyError):
        client_cls().handle_disconnect('never-handshook')


def test_versions_without_per_socket_mapping_are_not_applicable():
    client_cls = make_client(guarded=False, per_socket=False)
    for mode in disconnect.MODES:
        assert disconnect.install(client_cls, mode, '2.10.1').guard == 'not applicable'
    assert not disconnect.tracks_sockets(client_cls)


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match='one of on, off, bug'):
        disconnect.install(make_client(guarded=True), 'maybe', '3.18.0')


def test_legacy_dispatch_finds_the_client_by_query():
    client_cls = make_client(guarded=False)
    client = client_cls()
    environ = {
        's1': {'asgi.scope': {'query_string': b'client_id=c1&tab_id=t'}},
        's2': {'asgi.scope': {'query_string': b'client_id=gone'}},
    }
    route = disconnect.dispatch_by_query(environ.__getitem__, {'c1': client})
    with pytest.raises(KeyError):
        route('s1', 'client disconnect')  # the pre-2.11.1 route reaches the unguarded lookup
    route('s2')  # an unknown client is ignored, as 2.11.0 did
