"""Hitting the race on purpose, from either side, and natural timing for comparison.

The browser-side injector (``--handshake-delay-ms``, on by default) holds the page's handshake back after its
socket connected; the server-side one (``--server-handshake-delay-ms``) makes the server slow to process a
handshake, as a busy event loop or slow storage would, so disconnect and handshake arrive in either order.
"""
import pytest

pytestmark = pytest.mark.storm


def test_natural_timing_is_a_lottery(nicegui_storm):
    """No injection, jittered cadence: whatever the race does by itself must not break anything."""
    report = nicegui_storm('get', count=20, cadence='100-250', handshake_delay_ms=0, expect_race=False)
    report.check()


@pytest.mark.xfail(reason='finding: when NiceGUI processes a handshake after its socket has disconnected, '
                          '_on_handshake calls sio.enter_room on a gone socket and python-socketio raises '
                          '(ValueError in basic_enter_room, or KeyError in eio_sid_from_sid / bidict); '
                          'seen on 2.11.0 with the fix and on 3.18.0', strict=False)
def test_handshake_processed_after_disconnect(nicegui_storm, nicegui_server_factory):
    """The server is slow to process handshakes; the page leaves in between (explicit handshake, 1 ms)."""
    server = nicegui_server_factory(server_handshake_delay_ms=150)
    report = nicegui_storm('get', count=15, server=server, handshake_delay_ms=1)
    report.check()
