"""What a Grid offers, read from its real ``/status``; a request it cannot place ends by the suite's deadline; a
crowd asks only for what is free and gives its browsers back. No browser: a stand-in Grid on loopback and stand-in
browsers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from nicegui_e2e import plugin
from nicegui_e2e.browser import BrowserError, BrowserOptions, launch_remote
from nicegui_e2e.grid import Offer, offer, offer_of

DATA = Path(__file__).parent / 'data'


def status(name: str) -> dict[str, Any]:
    """A Selenium Grid 4.48.0 standalone as a team starts it with ``--max-sessions 1``: a slot per browser it
    found (Chrome, Edge, Firefox), one session at a time."""
    return json.loads((DATA / f'grid-4.48.0-standalone-max1-{name}.status.json').read_text())['value']


def test_a_grid_offers_its_chrome_slots_capped_by_the_sessions_a_node_runs() -> None:
    assert offer_of(status('idle')) == Offer('chrome', 1, 1)  # three slots listed, one session at a time
    assert offer_of(status('busy')) == Offer('chrome', 1, 0)
    assert offer_of(status('idle'), 'firefox') == Offer('firefox', 1, 1)


def test_a_node_that_is_down_offers_nothing_and_a_server_without_nodes_says_nothing() -> None:
    down = status('idle')
    down['nodes'][0]['availability'] = 'DOWN'
    assert offer_of(down) == Offer('chrome', 0, 0)
    assert offer_of({'ready': True, 'message': 'ChromeDriver ready for new sessions.'}) == Offer('chrome', None, None)
    assert 'no slots' in str(offer_of({}))


def test_a_grid_that_does_not_answer_offers_nothing_known() -> None:
    assert offer('http://127.0.0.1:9', timeout=1) == Offer('chrome', None, None)


class StuckGrid(BaseHTTPRequestHandler):
    """Answers its status as busy and holds every new session request, as a Grid whose only slot never frees."""

    release = threading.Event()

    def do_GET(self) -> None:
        body = json.dumps({'value': status('busy')}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.release.wait(timeout=30)  # the request sits in the queue until the test ends

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def stuck_grid() -> Iterator[str]:
    server = ThreadingHTTPServer(('127.0.0.1', 0), StuckGrid)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}'
    finally:
        StuckGrid.release.set()
        server.shutdown()
        server.server_close()


def test_a_session_the_grid_cannot_place_fails_by_the_suites_deadline_in_one_line(stuck_grid: str) -> None:
    started = time.monotonic()
    with pytest.raises(BrowserError) as failed:
        launch_remote(BrowserOptions(remote_url=stuck_grid, remote_timeout=1.5, capabilities={'browserVersion': '156'}))
    assert time.monotonic() - started < 10
    assert str(failed.value) == (
        f'no browser session from the Grid at {stuck_grid} (remote_url): none within 1.5 s (remote_timeout); '
        'it offers 1 chrome session(s) at a time, 0 free now; asked for browserName=chrome, browserVersion=156'
    )


class StandIn:
    """A browser as the crowd sees it."""

    def __init__(self, lane: int) -> None:
        self.lane = lane
        self.remote = True
        self.options = BrowserOptions(remote_url='http://grid')
        self.released = False
        self.quits = 0

    def revive(self) -> bool:
        self.released = False
        return False

    def quit(self) -> None:
        self.quits += 1

    def release(self) -> None:
        self.released = True


def crowd(monkeypatch: pytest.MonkeyPatch, free: list[int | None], fail_from: int = 99) -> plugin.CrowdBrowsers:
    offers = iter(free)

    def make(lane: int) -> Any:
        if lane >= fail_from:
            raise BrowserError('no browser session from the Grid at http://grid (remote_url): taken meanwhile')
        return StandIn(lane)

    def grid_offer(_options: BrowserOptions) -> Offer:
        left = next(offers)
        return Offer('chrome', None if left is None else 4, left)

    monkeypatch.setattr(plugin, 'grid_offer', grid_offer)
    return plugin.CrowdBrowsers(StandIn(0), make)  # type: ignore[arg-type]


def test_a_crowd_asks_only_for_the_sessions_the_grid_has_free(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = crowd(monkeypatch, free=[1, 0])
    browsers = pool(4)
    assert [b.lane for b in browsers] == [0, 1]  # type: ignore[attr-defined]
    assert pool.shortfall == 'the Grid at http://grid: it offers 4 chrome session(s) at a time, 1 free now'
    pool.between_tests()
    assert browsers[1].quits == 1 and browsers[0].released  # type: ignore[attr-defined]


def test_a_session_taken_meanwhile_leaves_the_crowd_smaller_not_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = crowd(monkeypatch, free=[3, 2], fail_from=2)
    assert len(pool(4)) == 2
    assert 'taken meanwhile' in pool.shortfall
    pool.between_tests()
    assert not pool.first.released  # sessions are free: nobody waits for this worker's browser


def test_a_grid_that_says_nothing_is_asked_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = crowd(monkeypatch, free=[None, None])
    assert len(pool(3)) == 3 and not pool.shortfall


def test_a_local_crowd_keeps_its_browsers_for_the_session(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = crowd(monkeypatch, free=[])
    pool.first.remote = False
    browsers = pool(3)
    pool.between_tests()
    assert pool(3) == browsers and browsers[1].quits == 0  # type: ignore[attr-defined]
    pool.end()
    assert browsers[1].quits == 1  # type: ignore[attr-defined]
