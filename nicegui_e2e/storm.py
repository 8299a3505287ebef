"""Navigation storms: drive one browser through many fast page changes, and time each one.

Knows nothing of pytest or of the server's internals; it needs a WebDriver and a base URL. A storm returns a
plain :class:`StormResult`; judging it is :mod:`nicegui_e2e.verdict`'s job.

The cadence is the pause between navigations. The connect-to-handshake window opens only once the page's
JavaScript runs, so a storm that waits for each load steps over it; storms here never wait for a load
unless the step needs an element (a link to click), and ``connect`` cadence leaves as soon as the page's
socket reports connected.
"""

from __future__ import annotations

import enum
import random
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

from .problems import one_line
from .waiting import wait_for


@dataclass(frozen=True)
class Cadence:
    """Milliseconds between navigations: fixed ``150``, jittered ``0-400``, swept ``sweep:0-400``, or
    ``connect``: leave as soon as the page's socket is connected (plus an optional ``connect+5`` offset)."""

    low: float
    high: float
    mode: str = 'fixed'

    @classmethod
    def parse(cls, text: str) -> Cadence:
        text = text.strip()
        match = re.fullmatch(r'connect(?:\+(\d+(?:\.\d+)?))?', text)
        if match:
            offset = float(match.group(1) or 0)
            return cls(offset, offset, 'connect')
        mode = 'fixed'
        if text.startswith('sweep:'):
            mode, text = 'sweep', text[len('sweep:') :]
        match = re.fullmatch(r'(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?', text)
        if not match:
            raise ValueError(f'cadence must look like 150, 0-400, sweep:0-400 or connect, not {text!r}')
        low = float(match.group(1))
        high = float(match.group(2)) if match.group(2) else low
        if high < low:
            raise ValueError(f'cadence range {text!r} runs backwards')
        if mode == 'fixed' and high != low:
            mode = 'jitter'
        return cls(low, high, mode)

    def pauses(self, count: int, seed: int) -> Iterator[float]:
        """Seconds to wait after each of ``count`` navigations (``connect`` yields the offset only)."""
        rng = random.Random(seed)
        for i in range(count):
            if self.mode == 'sweep':
                ms = self.low + (self.high - self.low) * (i / max(count - 1, 1))
            elif self.mode == 'jitter':
                ms = rng.uniform(self.low, self.high)
            else:
                ms = self.low
            yield ms / 1000

    def __str__(self) -> str:
        if self.mode == 'connect':
            return f'connect+{self.low:g}' if self.low else 'connect'
        if self.mode == 'sweep':
            return f'sweep:{self.low:g}-{self.high:g}'
        return f'{self.low:g}' if self.mode == 'fixed' else f'{self.low:g}-{self.high:g}'


@dataclass
class Navigation:
    """One step of a storm: when it started (wall clock, as the server's ledger) and where it went."""

    t: float
    action: str
    target: str
    lane: int = 0  # the browser of a crowd that took the step


@dataclass
class StormResult:
    scenario: str
    cadence: str
    started: float
    ended: float = 0.0
    navigations: list[Navigation] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)  # steps that could not be taken, with the reason
    lost: list[str] = field(default_factory=list)  # steps whose page did not come through its reconnect (LostPage)
    last_page_open: bool = False  # the last page reached its window, so whatever comes next leaves it in there
    live_departures: int = 0  # departures from a page left after its handshake, where the app's handlers ran
    lanes: list[StormResult] = field(default_factory=list)  # a crowd's: each browser's own storm
    heard: list[str] = field(default_factory=list)  # client ids of pages whose early click must have reached the server

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    @property
    def departures(self) -> int:
        """Navigations that left a NiceGUI page, the only ones that can hit the race: not the first step
        (it leaves a blank tab) and not the opening of a tab (it leaves nothing)."""
        if self.lanes:
            return sum(lane.departures for lane in self.lanes)
        steps = sum(1 for i, nav in enumerate(self.navigations) if i > 0 and nav.action != 'open-tab')
        return steps + self.last_page_open

    @classmethod
    def crowd(cls, lanes: list[StormResult]) -> StormResult:
        """The storms of a crowd's browsers (lane ``n`` is browser ``n + 1``), as one: steps in time order,
        each missed step named by its browser."""
        for n, lane in enumerate(lanes):
            for nav in lane.navigations:
                nav.lane = n
        return cls(
            lanes[0].scenario,
            lanes[0].cadence,
            started=min(lane.started for lane in lanes),
            ended=max(lane.ended for lane in lanes),
            navigations=sorted((nav for lane in lanes for nav in lane.navigations), key=lambda nav: nav.t),
            missed=[f'browser {n + 1}: {miss}' for n, lane in enumerate(lanes) for miss in lane.missed],
            lost=[f'browser {n + 1}: {loss}' for n, lane in enumerate(lanes) for loss in lane.lost],
            live_departures=sum(lane.live_departures for lane in lanes),
            lanes=lanes,
            heard=[client for lane in lanes for client in lane.heard],
        )


Step = Callable[[Any, str, int], tuple[str, str]]
"""A scenario's step: (driver, base_url, index) -> (action, target); it performs one navigation."""


def mark_left(driver: Any, flag: str = 'left') -> None:
    """Flag the current document, so a wait after navigating cannot mistake it for the next one."""
    driver.execute_script('if (window.__niceguiE2E) window.__niceguiE2E[arguments[0]] = true', flag)


LEAVING = 'const s = window.__niceguiE2E; if (s) s.left = true; return !!(s && s.acks > 0);'
"""Flag this document as left (:func:`mark_left`) and say whether it had finished its handshake: a departure after
it leaves the page live, where the app's own connect and disconnect handlers ran, outside the race's window."""


def window_open(driver: Any) -> bool:
    """Whether this document's socket has reached the server and its handshake may still be pending.

    A document that is no NiceGUI page at all (``about:blank`` behind a storm's tabs) has no window to wait
    for; a NiceGUI page that the storm left is flagged and never counts."""
    return bool(
        driver.execute_script(
            'const s = window.__niceguiE2E;return location.protocol === "about:" || !!(s && !s.left && s.windows > 0)'
        )
    )


def handshaken(driver: Any, flag: str = 'left') -> bool:
    """Whether this document (one not marked with ``flag``) finished NiceGUI's handshake, so events from it
    reach the server."""
    return bool(
        driver.execute_script('const s = window.__niceguiE2E; return !!(s && !s[arguments[0]] && s.acks > 0)', flag)
    )


LIVE_FLAG = 'nicegui_e2e_live'
"""A session-storage key: the next page of this tab holds no handshake back, so the storm can leave it live."""


def arm_live(driver: Any) -> bool:
    """Ask the next page of this tab to handshake at once; False where this document has no storage (a blank
    tab), so that page is left inside its window as usual."""
    return bool(
        driver.execute_script(
            'try { sessionStorage.setItem(arguments[0], "1"); return true; } catch (e) { return false; }', LIVE_FLAG
        )
    )


def wait_window(driver: Any, timeout: float = 10.0) -> None:
    wait_for(lambda: window_open(driver), timeout=timeout, what='the page socket to reach the server')


def wait_handshaken(driver: Any, timeout: float = 10.0, flag: str = 'left') -> None:
    wait_for(lambda: handshaken(driver, flag), timeout=timeout, what='the page to finish its handshake')


def run_storm(
    driver: Any,
    base_url: str,
    scenario: str,
    step: Step,
    *,
    count: int,
    cadence: Cadence,
    seed: int = 0,
    live_share: float = 0.0,
    step_timeout: float = 10.0,
    give_up_after: int = 3,
    trouble: Callable[[], str] = lambda: '',
) -> StormResult:
    """Take ``count`` steps, pausing by ``cadence`` after each; a step that fails is noted, not fatal, but
    ``give_up_after`` failures in a row end the storm: the page is broken, and waiting out every step's
    deadline would only hide that for minutes.

    Users also leave pages that are live: with ``live_share`` (cadence ``connect``), about that share of the
    pages, chosen with the seed, handshake at once and are left after their handshake, where the app's own
    connect and disconnect handlers run; the rest are left inside the connect-to-handshake window.

    ``trouble`` says what died, if anything (the server, Chrome, its driver): asked after a failed step, it
    ends the storm at once instead of after ``give_up_after`` deadlines."""
    result = StormResult(scenario, str(cadence), started=time.time())
    in_a_row = 0
    live_pick = random.Random(seed + 1)
    live = False  # the page now open is to be left after its handshake
    for i, pause in zip(range(count), cadence.pauses(count, seed)):
        if in_a_row >= give_up_after:
            result.missed.append(f'gave up after {in_a_row} missed steps in a row')
            break
        left_live = False  # the page this step leaves had finished its handshake (armed live, or a step stayed)
        try:
            if cadence.mode == 'connect':
                if i > 0:
                    (wait_handshaken if live else wait_window)(driver, step_timeout)
                left_live = bool(driver.execute_script(LEAVING))
            next_live = cadence.mode == 'connect' and live_pick.random() < live_share and arm_live(driver)
            t = time.time()
            action, target = step(driver, base_url, i)
        except Exception as error:
            in_a_row += 1
            (result.lost if isinstance(error, LostPage) else result.missed).append(f'step {i}: {one_line(error)}')
            live = False
            if trouble():
                break
            continue
        in_a_row = 0
        result.live_departures += i > 0 and left_live
        live = next_live
        result.navigations.append(Navigation(t, action, target))
        if pause > 0:
            time.sleep(pause)  # the cadence itself: a deliberate pause between steps, not a synchronisation
    if cadence.mode == 'connect' and result.navigations and in_a_row == 0:
        try:  # the caller's next navigation (the page check) then leaves the last page as the storm did
            (wait_handshaken if live else wait_window)(driver, step_timeout)
            result.last_page_open = driver.execute_script('return location.protocol') != 'about:'
            result.live_departures += result.last_page_open and bool(driver.execute_script(LEAVING))
        except Exception as error:
            result.missed.append(f'last page: {type(error).__name__}: {error}')
    result.ended = time.time()
    return result


Pages = Sequence[str]
"""Paths of the app to visit, e.g. the routes the server found in the app, or what the user named."""


def _cycle_target(pages: Pages, i: int) -> str:
    return pages[i % len(pages)]


def step_get(pages: Pages) -> Step:
    """(a) ``driver.get`` over several pages."""

    def step(driver: Any, base_url: str, i: int) -> tuple[str, str]:
        target = _cycle_target(pages, i)
        driver.get(base_url + target)
        return 'get', target

    return step


def open_live(driver: Any, url: str, timeout: float) -> None:
    """Load ``url`` and wait until the new document finished its handshake."""
    mark_left(driver)  # the wait below must see the new document, not this one
    driver.get(url)
    wait_handshaken(driver, timeout)


def step_stay(pages: Pages, timeout: float = 10.0) -> Step:
    """(i) load a page and stay on it until its handshake is done, as a reader does, then go on: a page that
    never gets there in ``timeout`` (it hangs, or reloads itself again and again) is a missed step."""

    def step(driver: Any, base_url: str, i: int) -> tuple[str, str]:
        target = _cycle_target(pages, i)
        open_live(driver, base_url + target, timeout)
        return 'stay', target

    return step


DROP_TRANSPORT = """
const engine = window.socket && window.socket.io.engine;
const ws = engine && engine.transport && engine.transport.ws;
if (!ws) return false;
ws.close();
return true;
"""
"""Close the page's WebSocket under socket.io, as a network change does: socket.io takes it for a lost
transport and reconnects on a new socket, with the page's same client id."""


def acks(driver: Any) -> int:
    """Handshakes this document finished, its reconnects' included."""
    return int(driver.execute_script('const s = window.__niceguiE2E; return s ? s.acks : 0'))


CAME_BACK = """
const s = window.__niceguiE2E;
if (!s || !s.dropped) return 'reloaded';
return s.acks > arguments[0] ? 'reconnected' : null;
"""
"""How the page whose connection was dropped came back: on a new socket, or as a new document."""


class LostPage(RuntimeError):
    """A page did not come through the drop of its connection: it reloaded itself, or no longer answers."""


def step_drop(pages: Pages, hold: float, answers: Callable[[Any], object], timeout: float = 10.0) -> Step:
    """(j) load a page, wait for its handshake, drop its connection and wait until it reconnected and
    handshook again; then stay ``hold`` seconds, a reader on the page while the server acts on the old socket's
    end, and ``answers`` must prove the page still works. A page that came back as a new document reloaded
    itself: the user's state on it is gone."""

    def step(driver: Any, base_url: str, i: int) -> tuple[str, str]:
        target = _cycle_target(pages, i)
        open_live(driver, base_url + target, timeout)
        before = acks(driver)
        mark_left(driver, 'dropped')  # names this document: one that replaces it has no such flag
        if not driver.execute_script(DROP_TRANSPORT):
            raise RuntimeError('the page has no WebSocket to drop (its socket runs on long polling)')
        came_back = wait_for(
            lambda: driver.execute_script(CAME_BACK, before),
            timeout=timeout,
            what='the page to reconnect and handshake again',
        )
        if came_back == 'reloaded':
            raise LostPage('the page did not come through its reconnect: it reloaded itself')
        time.sleep(hold)  # the reader's stay: a page killed by a late disconnect shows nothing to wait for
        try:
            answers(driver)
        except Exception as error:
            raise LostPage(
                f'the page did not come through its reconnect: it no longer answers ({one_line(error)})'
            ) from None
        return 'drop', target

    return step


def click_when_present(driver: Any, selector: str, timeout: float) -> None:
    """Click the first element matching the CSS ``selector`` as soon as it is in the DOM: a DOM click, with no
    wait for "clickable"."""
    from selenium.webdriver.common.by import By

    element = wait_for(
        lambda: next(iter(driver.find_elements(By.CSS_SELECTOR, selector)), None),
        timeout=timeout,
        what=f'{selector} on the page',
    )
    driver.execute_script('arguments[0].click()', element)


LEAVES_THIS_PAGE = """
const here = location.href.split('#')[0];
const leaves = (a) => a.href.split('#')[0] !== here || !['', '_self'].includes(a.target) || a.hasAttribute('download');
"""
"""JavaScript: ``leaves(a)``, whether a click on the link ``a`` leaves this document (or opens another)."""

APP_LINKS = """
const links = Array.from(document.querySelectorAll('a[href]')).filter((a) =>
  a.origin === location.origin && a.protocol.startsWith('http') && ['', '_self'].includes(a.target)
  && !a.hasAttribute('download') && leaves(a));
"""
"""JavaScript: ``links``, the links the page shows that stay inside the app and leave this document."""

CLICKABLES = """
const app = typeof mounted_app === 'undefined' ? null : mounted_app;
const listened = new Set(Object.entries((app && app.elements) || {})
  .filter(([, el]) => (el.events || []).some((ev) => ev.type === 'click' && !ev.js_handler && !(ev.throttle > 0)))
  .map(([id]) => app.$refs['r' + id])
  .map((ref) => (ref && ref.$el !== undefined ? ref.$el : ref))
  .filter((el) => el instanceof Element));
const clickables = Array.from(document.querySelectorAll('*')).filter((el) => {
  const link = el.closest('a[href]');
  return listened.has(el) && !(link && leaves(link)) && !el.disabled && el.getAttribute('aria-disabled') !== 'true'
    && el.getClientRects().length > 0;
});
"""
"""JavaScript: ``clickables``, the page's elements whose click the server listens for, in document order: NiceGUI's
page keeps each element's listeners (``mounted_app.elements``) and its DOM node (``mounted_app.$refs``), the same
from 2.0 to 3.18, and a click on an element without a listener sends nothing, so it could show nothing (nor one
whose listener is throttled: its event may wait past the step). Only those
shown (laid out) and enabled; one that is, or sits inside, a link leaving this document is left out: a click on it
is a navigation (the ``link`` storm's), not an event for the page's handlers."""

SETTLE_MS = 1000
"""Milliseconds after its handshake by which a page has drawn what it draws once connected (a page that awaits its
connection, then asks the browser something): what it shows then is what it offers."""

SETTLED = f"""
const e2e = window.__niceguiE2E;
const settled = !!(e2e && e2e.acks > 0 && performance.now() - e2e.ackedAt > {SETTLE_MS});
"""
"""JavaScript: ``settled``, whether this page finished its handshake :data:`SETTLE_MS` ago."""

CLICK_A_LINK = (
    LEAVES_THIS_PAGE
    + APP_LINKS
    + SETTLED
    + """
if (!links.length) return settled ? {to: null, live: true} : null;
const link = links[arguments[0] % links.length];
link.click();
return {to: link.pathname + link.search, live: !!(e2e && e2e.acks > 0)};
"""
)
"""Click one of the page's :data:`APP_LINKS`, chosen by ``arguments[0]``: ``{to: path}``; ``{to: null}`` where the
page shows none although it :data:`SETTLED` (a dead end); null while it may still show one. ``live`` says whether
the page had finished its handshake by then."""

CLICK_FIRST_CLICKABLE = (
    LEAVES_THIS_PAGE
    + CLICKABLES
    + """
if (!clickables.length) return null;
clickables[0].click();
return {client: window.clientId};
"""
)
"""Click the first of the page's :data:`CLICKABLES` (a DOM click, no wait for "clickable") and say which page's
client it was on; null if there is none."""

STAYED = """
const s = window.__niceguiE2E;
if (window.clientId !== arguments[0] || !s) return 'gone';
return s.acks > 0 ? 'acked' : null;
"""
"""Whether the page of client ``arguments[0]`` finished its handshake ('acked': NiceGUI's page has its answer, so a
click it held back has been sent), or is gone (the click navigated it away); null while neither."""

APP_FACTS = (
    LEAVES_THIS_PAGE
    + APP_LINKS
    + CLICKABLES
    + SETTLED
    + """
return [links.length, clickables.length, settled];
"""
)
"""How many :data:`APP_LINKS` and :data:`CLICKABLES` the page shows, and whether it :data:`SETTLED`."""


def step_link(pages: Pages, seed: int = 0, went_live: list[int] | None = None, timeout: float = 10.0) -> Step:
    """(b) click a link the page itself shows (any ``a[href]`` inside the app), chosen with the storm's seed,
    as soon as one is on the page. A page that shows none once it settled after its handshake (a page without a
    link back, an error page) is a dead end: the user goes to the app's first page by its address, as a load. A
    page whose link showed only after its handshake (it draws once connected) is left live: the step joins
    ``went_live``."""
    choose = random.Random(seed)

    def step(driver: Any, base_url: str, i: int) -> tuple[str, str]:
        pick = choose.randrange(1 << 30)
        was_live = i > 0 and acks(driver) > 0
        clicked = (
            {'to': None, 'live': False}
            if i == 0
            else wait_for(
                lambda: driver.execute_script(CLICK_A_LINK, pick),
                timeout=timeout,
                what='a link inside the app on the page, or its socket showing it has none',
            )
        )
        if clicked['live'] and not was_live and went_live is not None:
            went_live.append(i)
        if clicked['to'] is not None:
            return 'click', str(clicked['to'])
        driver.get(base_url + pages[0])
        return 'get', pages[0]

    return step


SECOND_LOAD = 'nicegui-e2e-history=2'
"""The query a one-page app's second history entry carries: Chrome replaces the entry of a load of the URL it
already shows, so the same URL twice would leave one entry of the page, and no document to go back to."""


def history_entries(pages: Pages) -> list[str]:
    """The pages the history storm loads before it goes back and forth: the app's, or, for one page, that page
    twice, the second load told apart by :data:`SECOND_LOAD` (the app's page ignores a query it does not ask for)."""
    if len(pages) > 1:
        return list(pages)
    page = pages[0]
    return [page, page + ('&' if '?' in page else '?') + SECOND_LOAD]


def step_history(pages: Pages) -> Step:
    """(c) back and forward through history built from the first few steps (at least two documents, so that a
    one-page app moves between documents too: :func:`history_entries`)."""
    entries = history_entries(pages)

    def step(driver: Any, base_url: str, i: int) -> tuple[str, str]:
        if i < len(entries):
            target = entries[i]
            driver.get(base_url + target)
            return 'get', target
        if (i - len(entries)) % 2 == 0:
            driver.back()
            return 'back', ''
        driver.forward()
        return 'forward', ''

    return step


def step_reload(pages: Pages) -> Step:
    """(d) reload the same page again and again."""
    page = pages[0]

    def step(driver: Any, base_url: str, i: int) -> tuple[str, str]:
        if i == 0:
            driver.get(base_url + page)
            return 'get', page
        driver.execute_script('location.reload()')
        return 'reload', page

    return step


def step_tabs(pages: Pages, install: Callable[[Any], object] | None = None) -> Step:
    """(e) open a page in a new tab, then close the tab on the next step."""

    def step(driver: Any, base_url: str, i: int) -> tuple[str, str]:
        handles = driver.window_handles
        if len(handles) > 1:
            driver.switch_to.window(handles[-1])
            driver.close()
            driver.switch_to.window(handles[0])
            return 'close-tab', ''
        driver.switch_to.new_window('tab')
        if install is not None:
            install(driver)
        target = _cycle_target(pages, i)
        driver.get(base_url + target)
        return 'open-tab', target

    return step


def step_location(pages: Pages) -> Step:
    """(f) JavaScript ``location`` assignment from inside the page."""

    def step(driver: Any, base_url: str, i: int) -> tuple[str, str]:
        target = _cycle_target(pages, i)
        if i == 0:
            driver.get(base_url + target)
        else:
            driver.execute_script('window.location.href = arguments[0]', base_url + target)
        return 'location', target

    return step


def step_server(pages: Pages, selector: str, timeout: float = 10.0) -> Step:
    """(g) an element whose handler navigates on the server (``ui.navigate.to``), named by a CSS ``selector``:
    the server starts each navigation."""

    def step(driver: Any, base_url: str, i: int) -> tuple[str, str]:
        if i == 0:
            driver.get(base_url + pages[0])
            return 'get', pages[0]
        wait_handshaken(driver, timeout, 'clicked')  # the click must reach the server over a live socket
        mark_left(driver, 'clicked')
        click_when_present(driver, selector, timeout)
        return 'server-navigate', ''

    return step


STAY_EVERY = 4
"""The early-click storm stays on every fourth page it clicked until the page's handshake is done: two or three per
storm, a second each (the hold-back), where the click must have reached the server."""


def step_early_click(pages: Pages, heard: list[str] | None = None, timeout: float = 10.0) -> Step:
    """(h) load a page and, as soon as its socket reached the server while its handshake is still pending (held
    back), click the first element the page shows whose click the server listens for (:data:`CLICKABLES`: a button
    with a handler, any element with a click handler; no test id needed): a user who clicks at once. The page must
    hold the click back
    until its handshake is done; a release that sends it at once has it dropped (#4753). Every
    :data:`STAY_EVERY`-th page is stayed on until its handshake is done (held back, then sent), and its client
    joins ``heard``: its click must have reached the server by then as an event it handles, however the release
    holds it back. A page that shows no such
    element when its socket connects is loaded and left, a plain load. The click may navigate or change the
    page's state: the next step loads its page afresh."""

    def step(driver: Any, base_url: str, i: int) -> tuple[str, str]:
        target = _cycle_target(pages, i)
        mark_left(driver)  # whatever cadence: the wait below must see the new document, not this one
        driver.get(base_url + target)
        wait_window(driver, timeout)  # the page is drawn by the time its socket connects
        clicked = driver.execute_script(CLICK_FIRST_CLICKABLE)
        if not clicked:
            return 'get', target
        if heard is not None and i % STAY_EVERY == STAY_EVERY - 1:
            stayed = wait_for(
                lambda: driver.execute_script(STAYED, clicked['client']),
                timeout=timeout,
                what='the clicked page to finish its handshake',
            )
            if stayed == 'acked':
                heard.append(str(clicked['client']))
        return 'get-click', target

    return step


LIVE_SHARE = 0.25
"""The share of pages a storm leaves after their handshake, so that the app's own handlers run too."""


@dataclass(frozen=True)
class StepContext:
    """What a storm kind's steps may use besides the driver: the app's pages, the browser's seed, the settings,
    and what the lifecycle hands over for the kinds that need it."""

    pages: Pages
    seed: int = 0
    server_selector: str = ''  # the element whose click makes the server navigate (``Need.SERVER_SELECTOR``)
    install: Callable[[Any], object] | None = None  # sets the suite up in a tab the storm opens
    hold: float = 0.0  # seconds past the moment the server acts on a dropped socket's end, late where told to be
    answers: Callable[[Any], object] = lambda driver: None  # proves the open page still works, or raises
    heard: list[str] = field(default_factory=list)  # the steps add the clients whose click must reach the server
    went_live: list[int] = field(default_factory=list)  # steps that stayed on their page past its handshake


class Need(enum.Enum):
    """What a storm kind needs of the app, or it cannot apply to it (:func:`unmet` says which is missing)."""

    SERVER_SELECTOR = 'the element whose click makes the server navigate, named by the user'
    LINK = 'a link inside the app on its first page'
    CLICKABLE = 'an element on its first page whose click the server listens for'


PAGE_NEEDS = frozenset({Need.LINK, Need.CLICKABLE})
"""Needs only the app's first page can answer (:data:`APP_FACTS`, read once before the storm: :func:`unmet`)."""


@dataclass(frozen=True)
class AppFacts:
    """What the app's first page offers a storm, read once before a storm whose kind needs a page's fact."""

    links: int  # links on the first page that stay inside the app and leave the page (:data:`APP_LINKS`)
    clickables: int  # elements on the first page whose click the server listens for (:data:`CLICKABLES`)


@dataclass(frozen=True)
class StormKind:
    """One kind of storm: how its steps are built, and the defaults a storm of this kind runs with.

    Register one with :func:`register` to name it, or hand it to ``nicegui_storm`` as it is."""

    name: str
    build: Callable[[StepContext], Step]
    live_share: float = LIVE_SHARE  # the share of pages left after their handshake (with cadence ``connect``)
    needs: frozenset[Need] = frozenset()  # what the app must offer, or the storm is skipped saying why
    holds_back: bool = True  # the browser holds each handshake back by default, so pages are left inside the window
    expect_race: bool = True  # a storm of this kind must hit the race
    shipped: bool = False  # the shipped suite (:mod:`nicegui_e2e.suite`) runs it on every app that offers its needs
    late_disconnect_ms: int = 0  # the server it storms by default notices a socket's end this late (a ping timeout)
    most_steps: int | None = None  # a cap on the steps of a storm of this kind where the test names no count


KINDS: dict[str, StormKind] = {}
"""Every storm kind by name: the package's own, and those a user registered."""


def register(kind: StormKind) -> StormKind:
    """Name ``kind``, so storms can ask for it by name; a name already taken by another kind is an error."""
    taken = KINDS.get(kind.name)
    if taken is not None and taken != kind:
        raise ValueError(f'storm kind {kind.name!r} is registered already: one of {", ".join(KINDS)}')
    KINDS[kind.name] = kind
    return kind


def kind_of(scenario: str | StormKind) -> StormKind:
    """The storm kind named ``scenario``, or ``scenario`` itself where it is one."""
    if isinstance(scenario, StormKind):
        return scenario
    if scenario not in KINDS:
        raise ValueError(f'unknown storm {scenario!r}: one of {", ".join(KINDS)}')
    return KINDS[scenario]


# pages left inside the window, each kind a way users leave a page
register(StormKind('get', lambda c: step_get(c.pages), shipped=True))
register(
    StormKind('link', lambda c: step_link(c.pages, c.seed, c.went_live), needs=frozenset({Need.LINK}), shipped=True)
)
register(StormKind('history', lambda c: step_history(c.pages), shipped=True))
register(StormKind('reload', lambda c: step_reload(c.pages), shipped=True))
# a new tab has no session storage to arm, so none of its pages is left live
register(StormKind('tabs', lambda c: step_tabs(c.pages, c.install), live_share=0.0, shipped=True))
register(StormKind('location', lambda c: step_location(c.pages), shipped=True))
# a click on a live page would make the server navigate it; the server leaves a page only after its handshake
register(
    StormKind(
        'server',
        lambda c: step_server(c.pages, c.server_selector),
        live_share=0.0,
        needs=frozenset({Need.SERVER_SELECTOR}),
        holds_back=False,
        expect_race=False,
        shipped=True,
    )
)
register(
    StormKind(
        'early-click',
        lambda c: step_early_click(c.pages, c.heard),
        live_share=0.0,  # pages it stays on are its own (STAY_EVERY): left live ones would not be clicked early
        needs=frozenset({Need.CLICKABLE}),
        shipped=True,
    )
)
# pages a reader stays on: their handshake must finish, so nothing is held back and no race can be hit; a page
# that never settles shows on its first loads, and each step waits for a handshake, so ten are enough
register(
    StormKind('stay', lambda c: step_stay(c.pages), holds_back=False, expect_race=False, shipped=True, most_steps=10)
)
# the server notices each dropped socket's end 3 s late, as a ping timeout does, after the page came back; each
# step stays on its page past that and the reconnect timeout, so a few steps are enough and cost seconds each
register(
    StormKind(
        'drop',
        lambda c: step_drop(c.pages, c.hold, c.answers),
        holds_back=False,
        expect_race=False,
        shipped=True,
        late_disconnect_ms=3000,
        most_steps=3,
    )
)


class StormSkipped(Exception):
    """The storm cannot run on this app as configured; the message says why and what to set."""


def require(scenario: str | StormKind, server_selector: str) -> StormKind:
    """The kind of ``scenario``; raises :class:`StormSkipped` where it cannot run as configured, before anything
    is started."""
    kind = kind_of(scenario)
    if Need.SERVER_SELECTOR in kind.needs and not server_selector:
        raise StormSkipped(
            f'the {kind.name} storm needs the element whose click makes the server navigate: '
            'name it with --nicegui-e2e-server-selector (a CSS selector)'
        )
    return kind


def unmet(kind: StormKind, facts: AppFacts) -> str | None:
    """Why a storm of ``kind`` cannot apply to an app with ``facts``, in one line; None where it can."""
    offered = {Need.LINK: facts.links > 0, Need.CLICKABLE: facts.clickables > 0}
    missing = [need for need, there in offered.items() if need in kind.needs and not there]
    if not missing:
        return None
    return (
        f'the {kind.name} storm cannot apply to this app: it needs '
        f'{" and ".join(need.value for need in missing)}, and the app offers none'
    )


def build_step(scenario: str | StormKind, context: StepContext) -> Step:
    """The step function of ``scenario`` in ``context``."""
    return require(scenario, context.server_selector).build(context)
