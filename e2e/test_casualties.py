"""A part of the run dies or hangs mid-storm: the storm ends with one line that names what and how, and
nothing of ours is left running. Each test starts its own server and Chrome, so that the session's stay whole.

The fault is struck from a thread once the server's ledger shows the storm under way (an event, not a timer).
"""

from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nicegui_e2e import lifecycle, processes
from nicegui_e2e.browser import Browser, BrowserOptions
from nicegui_e2e.server import NiceGUIServer, ServerOptions
from nicegui_e2e.storm import Cadence
from nicegui_e2e.waiting import wait_for

pytestmark = [pytest.mark.storm, pytest.mark.robustness]  # the suite's own, not a NiceGUI release's


@pytest.fixture
def parts(tmp_path: Path, nicegui_e2e_app: Path) -> Iterator[tuple[NiceGUIServer, Browser]]:
    server = NiceGUIServer(ServerOptions(app=nicegui_e2e_app), tmp_path / 'server').start()
    browser = Browser(BrowserOptions(handshake_delay_ms=1000), tmp_path / 'chrome')
    ours = processes.family(server.info['pid']) + processes.family(browser.pids[0])
    try:
        yield server, browser
    finally:
        browser.quit()
        server.stop()
    left = [p for p in ours if processes.alive(p)]
    assert not left, f'left running: {[(p.pid, p.name()) for p in left]}'


def strike(server: NiceGUIServer, sig: signal.Signals, pid: Callable[[], int]) -> threading.Thread:
    """Send ``sig`` to ``pid()`` once the storm has taken a few steps."""

    def act() -> None:
        wait_for(
            lambda: server.diagnostics(since=1 << 30)['event_count'] >= 12, timeout=60, what='the storm to get going'
        )
        os.kill(pid(), sig)

    thread = threading.Thread(target=act, daemon=True)
    thread.start()
    return thread


def storm_until_it_dies(server: NiceGUIServer, browser: Browser) -> str:
    with pytest.raises(lifecycle.PartDied) as death:
        lifecycle.run(server, browser, 'get', count=60, cadence=Cadence.parse('connect'))
    message = str(death.value)
    assert '\n' not in message and 'Traceback' not in message, message
    return message


def test_the_server_killed_mid_storm(parts: tuple[NiceGUIServer, Browser]) -> None:
    server, browser = parts
    strike(server, signal.SIGKILL, lambda: server.info['pid'])
    assert re.fullmatch(
        r'the NiceGUI server \(pid \d+\) was killed by SIGKILL; last log lines: .+',
        storm_until_it_dies(server, browser),
    )


def test_the_server_hanging_mid_storm(parts: tuple[NiceGUIServer, Browser]) -> None:
    server, browser = parts
    strike(server, signal.SIGSTOP, lambda: server.info['pid'])
    assert re.fullmatch(
        r'the NiceGUI server \(pid \d+\) is stopped \(SIGSTOP\) and answers nothing; .+',
        storm_until_it_dies(server, browser),
    )


def test_chrome_killed_mid_storm(parts: tuple[NiceGUIServer, Browser]) -> None:
    server, browser = parts
    chrome = browser.pids[1]
    assert chrome is not None, 'Chrome was not found below its driver'
    strike(server, signal.SIGKILL, lambda: chrome)
    assert re.fullmatch(r'Chrome \(pid \d+\) (is gone|was killed by SIGKILL)', storm_until_it_dies(server, browser))


def test_chromedriver_killed_mid_storm(parts: tuple[NiceGUIServer, Browser]) -> None:
    server, browser = parts
    strike(server, signal.SIGKILL, lambda: browser.pids[0])
    assert re.fullmatch(r'chromedriver \(pid \d+\) was killed by SIGKILL', storm_until_it_dies(server, browser))


def test_a_dead_browser_is_started_afresh_for_the_next_storm(parts: tuple[NiceGUIServer, Browser]) -> None:
    server, browser = parts
    os.kill(browser.pids[0], signal.SIGKILL)
    wait_for(browser.trouble, timeout=10, what='the driver to be seen dead')
    report = lifecycle.run(server, browser, 'get', count=6, cadence=Cadence.parse('connect'))
    assert browser.launches == 2 and report.evidence.race_hits, report.line
