"""The rest of the family: lifecycle bugs that lose a user's click or leave something behind once the browsers
are gone.

Most storms here ask to be judged after their browsers left and NiceGUI's own prune ran over their clients,
aged past the 60 s threshold by the server the suite started (``prune=True``): none of the storm's clients may
be left, and no more of NiceGUI's asyncio tasks than before the storm. On a release with the bug a test exists
for (:mod:`nicegui_e2e.corpus`), the storm must show it, as the detector's negative control on a real release;
on every other release it must pass. The corpus cells of the matrix run this module alone.
"""

import nicegui
import pytest
from packaging.version import Version

from nicegui_e2e.corpus import affecting
from nicegui_e2e.incident import AllowEntry

pytestmark = pytest.mark.storm

ENTER_ROOM_FAILURES = (
    '*@socketio.base_manager:basic_enter_room',
    'KeyError@socketio.base_manager:eio_sid_from_sid',
    'KeyError@bidict._base:__getitem__',
)
"""How python-socketio's releases raise when a socket that already left enters a room."""
ENTER_ROOM = [
    AllowEntry(
        signature,
        'the handshake of a socket that already left fails in enter_room: '
        "test_fault_injection's finding; this module judges what it leaves behind",
    )
    for signature in ENTER_ROOM_FAILURES
]
SLOW_PAGE = AllowEntry(
    'TimeoutError@nicegui.page:decorated',
    "2.x answers a page slower than its response_timeout with a 500 and logs 'Response not "
    "ready' as an ERROR, by design; the slow-page storm is there for 3.x's reload loop (#6126)",
    nicegui='<3',
)


@pytest.fixture
def nicegui_allowlist(nicegui_allowlist):
    return [*nicegui_allowlist, *ENTER_ROOM, SLOW_PAGE]


def expect_the_release_bugs(report, request):
    """Hold the storm to the known bugs the corpus gives this test (by its name) on the NiceGUI under test."""
    report.expect_bugs(affecting(request.node.originalname, nicegui.__version__))


def family_server(factory, *args, **kwargs):
    """The server of a family storm; none where it runs NiceGUI's disconnect handler without the #4304 guard
    (2.11.0 as shipped): a KeyError then ends every disconnect of a race hit before its cleanup, so what is left
    is #4304's doing, which the navigation storms judge."""
    server = factory(*args, **kwargs)
    if server.info['bug_present']:
        pytest.skip(
            f'this server runs the #4304 lookup unguarded ({server.info["fix"]}): what outlives the prune '
            "is #4304's doing"
        )
    return server


def test_async_pages_leave_no_task_behind(nicegui_storm, nicegui_server_factory, request):
    """#5803 (2.14.0, yanked, to 3.7.1): each load of an async page that does not wait for its connection leaves a task
    waiting for it forever; #4500 (2.13.0): the same task, destroyed while pending, logs an ERROR."""
    server = family_server(nicegui_server_factory, 'apps/async_pages.py')
    report = nicegui_storm('get', count=15, server=server, prune=True)
    expect_the_release_bugs(report, request)


def test_timers_of_pages_left_before_they_connected_end(nicegui_storm, nicegui_server_factory, request):
    """#5595 (3.0.0 to 3.4.1): a timer waits for its page's connection without end, so the timer of a page left
    before it connected outlives the page's client for the life of the server."""
    if Version(nicegui.__version__) < Version('3.0.0'):
        pytest.skip(
            'before 3.0 a timer gives up waiting for its connection after 60 s (and logs an ERROR then): '
            'a bounded wait, which a storm judged right after the prune would take for a leak'
        )
    server = family_server(nicegui_server_factory, 'apps/timers.py')
    report = nicegui_storm('get', count=15, server=server, prune=True)
    expect_the_release_bugs(report, request)


def test_clicks_during_the_handshake_reach_their_handlers(nicegui_storm, nicegui_server_factory, request):
    """#4753 (to 2.17.0): a page sends its events before its handshake is done and NiceGUI drops them, so a user
    who clicks as soon as a page shows has the click do nothing. Judged by the server: no event may arrive
    before its page's handshake."""
    server = family_server(nicegui_server_factory)
    report = nicegui_storm('early-click', count=15, server=server)
    expect_the_release_bugs(report, request)
    # the generic check beside the drop count: the pages it stayed on after their early click must have been heard,
    # and on a release that drops early events none is (its negative control)
    e = report.evidence
    assert e.clicks_checked, 'the storm stayed on no page after its early click: it checked no click'
    dropping = bool(affecting(request.node.originalname, nicegui.__version__))
    assert e.unheard_clicks == (e.clicks_checked if dropping else 0), (e.unheard_clicks, e.clicks_checked)


def test_a_late_handshake_leaves_no_client_behind(nicegui_storm, nicegui_server_factory, request):
    """A handshake processed after its socket left (slow server, page left at once) fails in enter_room after
    NiceGUI gave the client a tab id: from 2.11.0 to 3.17.1 the client then looks connected, so NiceGUI's prune
    skips it and nothing ever deletes it."""
    server = family_server(nicegui_server_factory, server_handshake_delay_ms=150)
    report = nicegui_storm('get', count=15, server=server, handshake_delay_ms=1, prune=True)
    expect_the_release_bugs(report, request)


def test_a_page_slower_than_its_response_timeout_settles(nicegui_storm, nicegui_server_factory, request):
    """#6126 (3.0.0 to 3.13.0): a page slower to build than its response_timeout is served for a client NiceGUI
    already deleted, so it reloads itself without end. Each page is loaded and stayed on as a reader does: it must
    settle. 3.14.0 settles it on a terminal error page that says why (status 500), which this storm expects."""
    server = family_server(nicegui_server_factory, 'apps/slow_build.py')
    report = nicegui_storm(
        'stay',
        count=3,
        server=server,
        pages=['/slow'],
        handshake_delay_ms=0,
        expect_race=False,
        expect_error_pages=True,
    )
    expect_the_release_bugs(report, request)


def test_a_page_slower_than_its_response_timeout_leaves_no_task(nicegui_storm, nicegui_server_factory, request):
    """The timed-out wait (3.14.0 to 3.18.0, no release fixes it yet): the terminal error page that answers a page
    slower than its response_timeout returns before NiceGUI cancels the page's wait for its connection, so each
    such load leaves a task for the life of the server. Judged after NiceGUI's prune: no task may be left."""
    if Version(nicegui.__version__) < Version('3.14.0'):
        pytest.skip(
            'before 3.14.0 NiceGUI cancels the wait on its way to the page it serves for a deleted client, which '
            'then reloads itself (#6126: test_a_page_slower_than_its_response_timeout_settles)'
        )
    server = family_server(nicegui_server_factory, 'apps/slow_build.py')
    report = nicegui_storm(
        'stay', count=5, server=server, pages=['/slow'], handshake_delay_ms=0, expect_race=False, prune=True
    )
    expect_the_release_bugs(report, request)


def test_a_page_keeps_working_after_its_connection_drops(nicegui_storm, nicegui_server_factory, request):
    """A page whose connection drops comes back on a new socket at once, while the server notices the old
    socket's end only later (a ping timeout: here the suite's server holds each disconnect back 3 s). To 2.10.1
    NiceGUI then deletes the client the page came back to (#4253); from 2.24.0 to 3.16.0 it takes the client's
    tab id, and the page stays on screen, frozen (upstream PR #6237). Either way the page no longer answers."""
    server = family_server(nicegui_server_factory, server_disconnect_delay_ms=3000)
    report = nicegui_storm('drop', count=3, server=server, handshake_delay_ms=0, expect_race=False)
    expect_the_release_bugs(report, request)
