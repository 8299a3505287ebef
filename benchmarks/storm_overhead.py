"""What a navigation of the suite's storm costs in CPU, against a plain page load of the same pages, side by side.

The suite's storm is `get` over '/', '/b', '/c' at cadence `connect` in a Chrome whose page hook holds every
handshake back for 1 s (the default): each page is left as soon as its socket reached the server. The plain
side loads the same pages in the same kind of Chrome (same binary, driver and flags, page load strategy
`none`) with nothing of ours (no page hook, no console capture), and leaves each as soon as NiceGUI's own
socket reports connected (``window.socket.connected``). Both sides wait by polling the page through WebDriver
every 0.02 s (``nicegui_e2e.waiting.wait_for``), so the difference is what the harness adds: the hook, the
hold-back, the console capture and the sockets the server sees leave before their handshake. The storm's
loop is the one of ``nicegui_e2e.storm.run_storm`` for scenario `get`, cadence `connect`, written out here
with the hook's page state, so that this benchmark does not depend on the storm module's internals.

Each round starts, for each side, a fresh server (``apps/multipage.py``, the fix on) and a fresh Chrome,
runs a short untimed warm-up (one load of each page), then times ``--count`` navigations. CPU is read from
/proc as core-milliseconds per navigation for every process involved: the server's process tree,
chromedriver with every Chrome process below it, and this test process itself (it drives WebDriver and
polls). The machine-wide busy time (as ``browser_cost.py`` charges) is printed alongside; it includes other
tenants of the machine and is only a cross-check. Rounds alternate which side goes first.

How to read it: the ratio storm / plain of the median core-ms per navigation is the harness's overhead per
navigation (target <= 1.15x); the per-group columns show where a difference lies. "navigations/s" of the
storm is the rate of race attempts per browser; "left inside" counts the departures that happened before
the page's handshake was acknowledged, i.e. attempts that were really inside the window.

    .venv/bin/python benchmarks/storm_overhead.py --rounds 5 --count 30
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from nicegui_e2e import browser as suite_browser
from nicegui_e2e.browser import Browser, BrowserOptions
from nicegui_e2e.server import NiceGUIServer, ServerOptions
from nicegui_e2e.waiting import WaitTimeout, wait_for

from common import ROOT
from proc_cpu import machine_busy_seconds, own_seconds, tree, tree_seconds

APP = ROOT / 'apps' / 'multipage.py'
PAGES = ('/', '/b', '/c')
HOLD_BACK_MS = 1000  # the suite's default --handshake-delay-ms
STEP_TIMEOUT = 10.0
TARGET = 1.15
STORM, PLAIN = 'storm', 'plain load'
GROUPS = ('server', 'Chrome + driver', 'test process')

# the plain Chrome: a copy of the suite's flags (nicegui_e2e.browser.QUIET_FLAGS), compared at start-up
PLAIN_FLAGS = (
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
    '--no-first-run',
    '--disable-crash-reporter',
    '--disable-breakpad',
    '--disable-features=Translate,OptimizationHints,MediaRouter',
)
BINARIES = (
    '/usr/lib/chromium/chromium-headless-shell',
    'chrome-headless-shell',
    'chromium-headless-shell',
    'google-chrome',
    'google-chrome-stable',
    'chromium',
    'chromium-browser',
    'chrome',
)

# the hook's state (nicegui_e2e.browser.handshake_hook): `windows` counts sockets that reached the server,
# `acks` handshakes acknowledged; `left` marks a document the storm has left. LEAVE marks the document and
# says whether it is left inside the window (socket at the server, handshake not acknowledged)
LEAVE = (
    'const s = window.__niceguiE2E; if (!s) return false; s.left = true; '
    'return location.protocol !== "about:" && s.windows > 0 && s.acks === 0'
)
WINDOW_OPEN = (
    'const s = window.__niceguiE2E; return location.protocol === "about:" || !!(s && !s.left && s.windows > 0)'
)
CONNECTED = 'return location.pathname === arguments[0] && !!(window.socket && window.socket.connected)'
PAGE_STATE = (
    'return {href: location.href, readyState: document.readyState, hook: window.__niceguiE2E || null, '
    'socket: window.socket ? window.socket.connected : null}'
)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float('nan')


@dataclass
class Storm:
    """One timed run of one side."""

    count: int
    wall: float  # seconds
    cpu: dict[str, float]  # core-seconds per group
    machine: float  # core-seconds, whole machine
    inside: int | None  # departures before the handshake was acknowledged (storm only)

    def per_navigation(self, group: str | None = None) -> float:
        """Core-milliseconds per navigation, of one group or of all."""
        return 1000 * (self.cpu[group] if group else sum(self.cpu.values())) / self.count

    @property
    def rate(self) -> float:
        return self.count / self.wall


def wait_page(driver: Any, script: str, *args: str, what: str) -> None:
    """Poll ``script`` in the page until it returns true; on timeout say where the page stood."""
    try:
        wait_for(lambda: driver.execute_script(script, *args), timeout=STEP_TIMEOUT, what=what)
    except WaitTimeout as error:
        raise WaitTimeout(f'{error}; the page: {driver.execute_script(PAGE_STATE)}') from None


def blank(driver: Any) -> None:
    """Leave for about:blank, as ``lifecycle.run`` resets the browser before a storm, and wait until it is
    there: with page load strategy ``none`` a navigation issued while this one is still pending can be
    dropped (seen: the first load of a storm never happened, the tab stayed on about:blank)."""
    driver.get('about:blank')
    wait_page(
        driver,
        'return location.href === "about:blank" && document.readyState === "complete"',
        what='about:blank to load',
    )


def storm_loop(driver: Any, base_url: str, count: int) -> int:
    """``run_storm`` with ``step_get`` at cadence ``connect``: leave each page once its socket reached the
    server; return how many departures came before the page's handshake was acknowledged."""
    inside = 0
    for i in range(count):
        if i > 0:
            wait_page(
                driver,
                WINDOW_OPEN,
                what=f'the socket of {PAGES[(i - 1) % len(PAGES)]} to reach the server (hook window)',
            )
        inside += driver.execute_script(LEAVE) is True  # whether this departure is inside the window
        driver.get(base_url + PAGES[i % len(PAGES)])
    wait_page(driver, WINDOW_OPEN, what='the socket of the last page to reach the server (hook window)')
    return inside


def plain_loop(driver: Any, base_url: str, count: int) -> None:
    """Load each page and wait until NiceGUI's own socket is connected; consecutive pages differ in path, so
    the previous document can never pass for the next one."""
    for i in range(count):
        target = PAGES[i % len(PAGES)]
        driver.get(base_url + target)
        wait_page(driver, CONNECTED, target, what=f'{target} to load and its NiceGUI socket to connect')


def measure(server: NiceGUIServer, driver: Any, count: int, loop: Callable[[], int | None]) -> Storm:
    roots = {'server': int(server.info['pid']), 'Chrome + driver': driver.service.process.pid}

    def cpu() -> dict[str, float]:
        return {**{name: tree_seconds(pid) for name, pid in roots.items()}, 'test process': own_seconds()}

    before, machine, started = cpu(), machine_busy_seconds(), time.perf_counter()
    inside = loop()
    wall, machine, after = time.perf_counter() - started, machine_busy_seconds() - machine, cpu()
    return Storm(count, wall, {name: after[name] - before[name] for name in GROUPS}, machine, inside)


def plain_chrome(work_dir: Path) -> Any:
    """Chrome as the suite starts it (binary, driver, flags, page load strategy), without the page hook and
    without the console log capture."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    binary = next((path for path in map(shutil.which, BINARIES) if path), None)
    driver = shutil.which('chromedriver')
    if not binary or not driver:
        raise SystemExit(f'storm_overhead: needs Chrome and chromedriver (found {binary}, {driver})')
    options = Options()
    options.binary_location = binary
    if 'headless-shell' in Path(binary).name:
        options.set_capability('browserName', 'chrome-headless-shell')
    else:
        options.add_argument('--headless=new')
    for flag in PLAIN_FLAGS:
        options.add_argument(flag)
    options.add_argument(f'--user-data-dir={work_dir / "profile"}')
    options.add_argument('--window-size=1280,900')
    options.page_load_strategy = 'none'
    work_dir.mkdir(parents=True, exist_ok=True)
    return webdriver.Chrome(
        options=options, service=Service(executable_path=driver, log_output=str(work_dir / 'chromedriver.log'))
    )


def quit_plain(driver: Any, grace: float = 5.0) -> None:
    """Quit, then make sure every process the driver started is gone."""
    family = tree(driver.service.process.pid)
    try:
        driver.quit()
    except Exception:
        pass

    def alive() -> list[int]:
        return [pid for pid in family if Path(f'/proc/{pid}').exists() and not _zombie(pid)]

    try:
        wait_for(lambda: not alive(), timeout=grace, what='the plain Chrome and its driver to exit')
    except WaitTimeout:
        for pid in alive():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _zombie(pid: int) -> bool:
    try:
        return Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[0] == 'Z'
    except (OSError, IndexError):
        return False


def describe(driver: Any) -> str:
    return f'{driver.capabilities.get("browserName")} {driver.capabilities.get("browserVersion")}'


def run_side(side: str, work_dir: Path, count: int, warmup: int, seen: dict[str, str]) -> Storm:
    """A fresh server and a fresh browser for one timed storm of one side; both ended whatever happens."""
    server = NiceGUIServer(ServerOptions(app=APP, disconnect_fix='on'), work_dir / 'server').start()
    try:
        if side == STORM:
            browser = Browser(BrowserOptions(handshake_delay_ms=HOLD_BACK_MS), work_dir / 'chrome')
            try:
                driver = browser.driver
                seen.setdefault(side, describe(driver))
                storm_loop(driver, server.base_url, warmup)
                blank(driver)
                return measure(server, driver, count, lambda: storm_loop(driver, server.base_url, count))
            finally:
                browser.quit()
        driver = plain_chrome(work_dir / 'chrome')
        try:
            seen.setdefault(side, describe(driver))
            plain_loop(driver, server.base_url, warmup)
            blank(driver)
            return measure(server, driver, count, lambda: plain_loop(driver, server.base_url, count))
        finally:
            quit_plain(driver)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=5, help='timed rounds, each side once per round')
    parser.add_argument('--count', type=int, default=30, help='navigations per timed storm (the suite: 30)')
    parser.add_argument('--warmup', type=int, default=3, help='untimed navigations before each timed storm')
    args = parser.parse_args()
    suite_flags = getattr(suite_browser, 'QUIET_FLAGS', None)
    if suite_flags is not None and tuple(suite_flags) != PLAIN_FLAGS:
        print(f"note: the suite's Chrome flags differ from the plain side's copy: {suite_flags}")
    runs: dict[str, list[Storm]] = {STORM: [], PLAIN: []}
    seen: dict[str, str] = {}
    begun = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix='nicegui-e2e-overhead-') as tmp:
        for round_ in range(1, args.rounds + 1):
            for side in (STORM, PLAIN) if round_ % 2 else (PLAIN, STORM):
                run = run_side(side, Path(tmp) / f'{round_}-{side.split()[0]}', args.count, args.warmup, seen)
                runs[side].append(run)
                groups = ', '.join(f'{name} {run.per_navigation(name):.0f}' for name in GROUPS)
                inside = '' if run.inside is None else f'; left inside the window {run.inside}/{args.count - 1}'
                print(
                    f'round {round_}: {side:10s} {run.count} navigations in {run.wall:4.1f} s ({run.rate:4.1f}/s), '
                    f'{run.per_navigation():4.0f} core-ms per navigation ({groups}), machine '
                    f'{1000 * run.machine / run.count:.0f}{inside}',
                    flush=True,
                )
    print()
    print('browsers: ' + '; '.join(f'{side}: {name}' for side, name in seen.items()))
    print(
        f'| side | rounds | median s per storm | navigations/s | core-ms per navigation | '
        f'{" | ".join(GROUPS)} | machine-wide |'
    )
    print('|---|---|---|---|---|---|---|---|---|')
    for side, values in runs.items():
        cells = ' | '.join(f'{median([run.per_navigation(name) for run in values]):.0f}' for name in GROUPS)
        print(
            f'| {side} | {len(values)} | {median([run.wall for run in values]):.1f} | '
            f'{median([run.rate for run in values]):.1f} | {median([run.per_navigation() for run in values]):.0f} | '
            f'{cells} | {median([1000 * run.machine / run.count for run in values]):.0f} |'
        )
    storm, plain = runs[STORM], runs[PLAIN]
    ratio = median([run.per_navigation() for run in storm]) / median([run.per_navigation() for run in plain])
    paired = median([s.per_navigation() / p.per_navigation() for s, p in zip(storm, plain)])
    machine = median([run.machine for run in storm]) / median([run.machine for run in plain])
    print()
    print(
        f'storm / plain, core-ms per navigation: {ratio:.2f}x (median of per-round ratios {paired:.2f}x); '
        f'target <= {TARGET}x: {"met" if ratio <= TARGET else "NOT met"}; machine-wide {machine:.2f}x'
    )
    print(
        f'race attempts per browser: {median([run.rate for run in storm]):.1f} navigations/s in the storm '
        f'(plain loads: {median([run.rate for run in plain]):.1f}/s); departures inside the window: '
        f'{sum(run.inside or 0 for run in storm)} of {sum(run.count - 1 for run in storm)}'
    )
    print(f'took {time.perf_counter() - begun:.0f} s')


if __name__ == '__main__':
    main()
