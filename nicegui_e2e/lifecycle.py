"""One storm, start to verdict: mark the logs, storm, check the page, settle, collect, judge.

The plain object behind the ``nicegui_storm`` fixture and the benchmarks. Each arrow of the design's data
flow is one call here; every wait has a deadline.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from . import corpus, incident, storm
from .browser import Browser
from .evidence import Collected, gather, lingering
from .findings import Code, Finding
from .problems import one_line
from .server import NiceGUIServer
from .summary import StormSummary
from .verdict import AfterPrune, Evidence, Verdict, figures, handshake_label, judge_storm
from .waiting import wait_at_most, wait_for
from .wire import PING_EVENT, PRUNE_PERIOD, ClientState, Diagnostics, Event, PruneSchedule, ServerInfo

SETTLE_GRACE = 5.0
DROP_GRACE = 1.0
"""Seconds a drop storm stays on a reconnected page beyond the server's late disconnect and reconnect timeout."""
LANE_START = 30.0
"""Seconds a crowd's browsers wait for each other before storming together."""
STEP_DEADLINE = 11.0
"""Seconds one step of a storm may take at most (its waits' deadline, plus a second of slack)."""


@dataclass
class Mark:
    """Where the server's output stood when a storm began, so each storm reads only its own share."""

    stdout: int
    stderr: int
    records: int
    events: int
    race_hits: int | None
    tasks: dict[str, int]


@dataclass
class StormReport:
    """A judged storm. Its verdict is enforced: a test calls :meth:`check`, or :meth:`expect_4304` where it
    ran an unguarded handler on purpose; one that does neither is checked when it ends (the plugin does it)."""

    evidence: Evidence
    verdict: Verdict
    result: storm.StormResult
    server_info: ServerInfo | Mapping[str, Any]
    events: list[Event] = field(default_factory=list)
    console: list[dict[str, Any]] = field(default_factory=list)
    raw_log: str = ''
    records: list[dict[str, Any]] = field(default_factory=list)
    inspected: bool = False  # the test checked the verdict itself
    expected_4304: bool = False  # the test said #4304 must show
    expected_bugs: list[corpus.KnownBug] = field(default_factory=list)  # known bugs of this release it must show

    @property
    def line(self) -> str:
        return figures(self.evidence)

    @property
    def expects_4304(self) -> bool:
        """#4304 must show: the test said so, or the server restored the bug on purpose and the race was hit.
        NiceGUI as shipped (``off``) is never expected to fail: there, a #4304 KeyError fails the storm."""
        restored = self.server_info.get('disconnect_fix') == 'bug' and bool(self.evidence.race_hits)
        return self.expected_4304 or restored

    @property
    def tolerated_bugs(self) -> list[corpus.KnownBug]:
        """Known bugs of this release that this storm may show without failing (:func:`corpus.seen_everywhere`):
        not in the storm kind made to show them, which fails on them (named) in a team's run too."""
        release = str(self.server_info.get('nicegui', ''))
        return [
            bug
            for bug in corpus.seen_everywhere(release)
            if bug not in self.expected_bugs and bug.storm != self.evidence.scenario
        ]

    def _read(self) -> tuple[list[Finding], list[Finding], list[Finding]]:
        """The verdict's findings read against what this storm had to show and may show, named where a known bug
        of this release shows (:func:`corpus.named`), in three: what fails the storm, what the team's allow-list
        accepts (a known bug of this release, by its key), and what the negative control shows beside #4304."""
        failures = [
            finding
            for finding in self.verdict.findings
            if not any(bug.shown_by(finding) for bug in self.tolerated_bugs)
        ]
        nicegui = str(self.server_info.get('nicegui', '?'))
        for bug in self.expected_bugs:
            detected = any(map(bug.shown_by, failures))
            failures = [finding for finding in failures if not (detected and bug.explains(finding))]
            if not detected:
                failures.append(
                    Finding(
                        Code.KNOWN_BUG_MISSED,
                        f'{bug.key} not detected although NiceGUI {nicegui} has it: {bug.what}',
                        bug=bug.key,
                    )
                )
        if self.expects_4304:
            detected = any(finding.code is Code.ISSUE_4304 for finding in failures)
            failures = [finding for finding in failures if finding.code is not Code.ISSUE_4304]
            if not detected:
                failures.append(
                    Finding(
                        Code.ISSUE_4304_MISSED,
                        '#4304 not detected although the server runs an unguarded handler on purpose',
                    )
                )
        named = corpus.named(failures, nicegui)
        if self.expected_4304:  # the negative control: judged on #4304's detection alone
            return (
                [finding for finding in named if finding.code is Code.ISSUE_4304_MISSED],
                [],
                [finding for finding in named if finding.code is not Code.ISSUE_4304_MISSED],
            )
        bugs = corpus.accepted_of({entry.bug for entry in self.evidence.judged.accepting}, nicegui)
        failing: list[Finding] = []
        accepted: list[Finding] = []
        for finding in named:  # a bug it may be (corpus.candidates), accepted: counted and shown, not failed
            accepting = next((bug for bug in corpus.candidates(finding, named, nicegui) if bug in bugs), None)
            if accepting is None:
                failing.append(finding)
            else:
                accepted.append(replace(finding, bug=accepting.key))
        return failing, accepted, []

    def problems(self) -> list[Finding]:
        """What fails this storm: the verdict's findings, read against what it had to show and what it may show;
        a finding that a known bug of this release shows says which (:func:`corpus.named`), in every storm. The
        findings of a known bug the team accepts do not fail it (:meth:`accepted`); the negative control fails
        only where #4304 did not show (:meth:`expect_4304`)."""
        return self._read()[0]

    def accepted(self) -> list[Finding]:
        """The findings that known bugs of this release, accepted by key in the team's allow-list, showed: counted
        and shown, not failed."""
        return self._read()[1]

    def beside(self) -> list[Finding]:
        """What the negative control's storm found besides #4304: shown beside it, failing the storms made for
        it rather than the control."""
        return self._read()[2]

    def acceptances(self) -> tuple[list[str], list[str]]:
        """(a note per known bug whose findings the allow-list accepted here, with its reason; the keys the
        user's allow-list accepts that this release does not have: stale)."""
        nicegui = str(self.server_info.get('nicegui', '?'))
        entries = self.evidence.judged.accepting
        has = {bug.key for bug in corpus.accepted_of({entry.bug for entry in entries}, nicegui)}
        showing = {finding.bug for finding in self.accepted()}
        return (
            [f'accepted by your allow-list: {entry.bug} ({entry.reason})' for entry in entries if entry.bug in showing],
            sorted({entry.bug for entry in entries if entry.bug not in has and not entry.shipped}),
        )

    def shown(self) -> list[Finding]:
        """The verdict's findings that known bugs this storm had to show, or may show, showed, and those that follow
        from one of them that showed."""
        bugs = [*self.expected_bugs, *self.tolerated_bugs]
        showing = [bug for bug in bugs if any(map(bug.shown_by, self.verdict.findings))]
        return [finding for finding in self.verdict.findings if any(bug.explains(finding) for bug in showing)]

    def check(self) -> None:
        """Fail with the verdict's words unless the storm came out as this server must make it come out."""
        self.inspected = True
        problems, _, beside = self._read()
        if problems:
            raise AssertionError(
                f'{self.line}: '
                + '; '.join(map(str, problems))
                + ''.join(f'; beside it: {finding}' for finding in beside)
            )

    def summary(self, nodeid: str = '', reruns: int = 0) -> StormSummary:
        """This storm's record: what the terminal summary prints, junit carries and the reports read back."""
        e = self.evidence
        info = self.server_info
        failures, accepted, beside = self._read()
        reasons, stale = self.acceptances()
        return StormSummary(
            scenario=e.scenario,
            cadence=e.cadence,
            handshake=handshake_label(e.handshake_paths),
            line=self.line,
            nicegui=str(info.get('nicegui', '?')),
            mode=str(info.get('disconnect_fix', '?')),
            guard=str(info.get('guard', '?')),
            fix=str(info.get('fix', '?')),
            lost_guard=e.lost_guard,
            bug_present=bool(info.get('bug_present')),
            expects_4304=self.expects_4304,
            navigations=e.navigations,
            departures=e.departures,
            live_departures=e.live_departures,
            race_hits=e.race_hits,
            keyerrors=e.keyerrors,
            other_errors=len(e.judged.failing) - len(e.judged.issue_4304),
            allowed=len(e.judged.allowed),
            unconnected=e.unconnected,
            leaked=e.leaked_clients + e.dead_mappings,
            seconds=round(e.seconds, 2),
            signatures=e.judged.signature_counts(),
            allowed_by=sorted({entry.signature for _, entry in e.judged.allowed}),
            live_entries=sorted({entry.signature for entry in e.judged.live}),
            failures=failures,
            notes=[*self.verdict.notes, *reasons],
            nodeid=nodeid,
            reruns=reruns,
            handshake_paths=dict(e.handshake_paths),
            known_bugs=[bug.key for bug in self.expected_bugs],
            shown=self.shown(),
            user_entries=sorted({entry.signature for entry in e.judged.live if not entry.shipped}),
            accepted=accepted,
            stale_bugs=stale,
            beside=beside,
        )

    def expect_bugs(self, bugs: Sequence[corpus.KnownBug]) -> None:
        """Check the verdict where the release under test has ``bugs`` (see :func:`corpus.affecting`): each must
        show, and nothing else may go wrong; without bugs, an ordinary :meth:`check`."""
        self.expected_bugs = list(bugs)
        self.check()

    def expect_4304(self) -> None:
        """The negative control's check: this storm ran an unguarded handler on purpose, so #4304 must be
        detected. It passes or fails on that alone: whatever else the storm found (a second bug of the app or of
        its release) is shown beside it (:meth:`beside`), so that it neither hides the control nor fails it for
        the wrong reason; the storms made for those findings report them."""
        self.expected_4304 = True
        self.check()


class PartDied(RuntimeError):
    """The server, Chrome or its driver died or hangs; the message is one line that says which and how."""


def trouble(server: NiceGUIServer, *browsers: Browser) -> str:
    """What died, if anything: the server first, then each browser (named by its place in a crowd)."""
    problem = server.trouble()
    if problem:
        return problem
    for n, each in enumerate(browsers):
        problem = each.trouble()
        if problem:
            return f'browser {n + 1}: {problem}' if len(browsers) > 1 else problem
    return ''


def mark(server: NiceGUIServer) -> Mark:
    diagnostics = server.diagnostics(since=1 << 30)
    return Mark(
        len(server.stdout()),
        len(server.stderr()),
        len(server.records()),
        diagnostics['event_count'],
        diagnostics['race_hits'] if server.info.get('tracks_sockets') else None,
        diagnostics['tasks'],
    )


@dataclass(frozen=True)
class PageCheck:
    """How the last page proves it works: a round trip through the server that needs nothing of the app, then,
    where the user names them, a click on ``selector`` and ``text`` appearing on the page."""

    path: str = ''  # '' means the storm's first page
    selector: str = ''
    text: str = ''


PING = """
const state = window.__niceguiE2E;
state.ping = null;
window.socket.emit(arguments[1], {client_id: window.clientId, nonce: arguments[0]},
                   (answer) => { state.ping = answer; });
"""
"""Ask the server, over the page's own socket, to run JavaScript in this page through NiceGUI and answer."""


class NoRoundTrip(Exception):
    """The server answered the page's ping with a failure: it has no client for the page, or could not reach it."""


def round_trip(driver: Any, timeout: float = 10.0) -> None:
    """Prove the open page works, on any app: the server's answer to a ping over the page's own socket comes
    back after NiceGUI ran JavaScript in the page (the server process is ours; the app adds nothing)."""
    nonce = random.randrange(1, 1 << 30)
    driver.execute_script(PING, nonce, PING_EVENT)
    answer = wait_for(
        lambda: driver.execute_script('return window.__niceguiE2E.ping'),
        timeout=timeout,
        what="the server's answer to the page's ping",
    )
    if not answer.get('ok'):
        raise NoRoundTrip(f"the server's round trip failed: {answer.get('why')}")
    wait_for(
        lambda: driver.execute_script('return window.__niceguiE2E.pong') == nonce,
        timeout=timeout,
        what="the effect of the server's JavaScript in the page",
    )


def check_page(browser: Browser, base_url: str, check: PageCheck, timeout: float = 10.0) -> tuple[bool, str]:
    """Open a page and prove it works: the handshake finishes, and the :func:`round_trip` comes back."""
    driver = browser.driver
    try:
        driver.get(base_url + check.path)
        storm.wait_handshaken(driver, timeout)
        round_trip(driver, timeout)
        if check.selector:
            storm.click_when_present(driver, check.selector, timeout)
        if check.text:
            wait_for(
                lambda: check.text in driver.execute_script('return document.body.innerText'),
                timeout=timeout,
                what=f'{check.text!r} on the page',
            )
        return True, ''
    except NoRoundTrip as failed:
        return False, str(failed)
    except Exception as error:
        return False, one_line(error)


def app_facts(browser: Browser, url: str, timeout: float = 10.0) -> storm.AppFacts:
    """What the page at ``url`` offers a storm, read once it finished its handshake (nothing held back) and settled
    (:data:`storm.SETTLED`), so that a page that draws after its connection has drawn that too; sooner where it
    already shows both a link and something to click."""
    driver = browser.driver

    def offered() -> tuple[int, int] | None:
        links, clickables, settled = driver.execute_script(storm.APP_FACTS)
        return (int(links), int(clickables)) if settled or (links and clickables) else None

    with browser.handshake_delay(0):
        storm.open_live(driver, url, timeout)
        links, clickables = wait_for(offered, timeout=timeout, what='the first page to settle after its handshake')
    return storm.AppFacts(links=links, clickables=clickables)


def reconnect_timeout(diagnostics: Diagnostics) -> float:
    """How long the server keeps a client after its socket left (NiceGUI's default where it does not say)."""
    return float(diagnostics.get('reconnect_timeout') or 3.0)


def settle(server: NiceGUIServer, since: float) -> Diagnostics:
    """Wait until the storm's clients are gone, at most the reconnect timeout plus a grace."""
    first = server.diagnostics(since=1 << 30)
    timeout = reconnect_timeout(first) + SETTLE_GRACE
    last = {'snapshot': first}

    def clean() -> bool:  # the storm's clients are deleted
        last['snapshot'] = server.diagnostics(since=1 << 30)
        return not lingering(last['snapshot'], since) and not last['snapshot']['dead_mappings']

    wait_at_most(clean, timeout=timeout, interval=0.1)  # what is left is the finding; the verdict reports it
    return last['snapshot']


def run(
    server: NiceGUIServer,
    browser: Browser | Sequence[Browser],
    scenario: str | storm.StormKind,
    *,
    count: int,
    cadence: storm.Cadence,
    pages: storm.Pages | None = None,
    server_selector: str = '',
    check: PageCheck | None = None,
    expect_race: bool | None = None,
    allowlist: Sequence[incident.AllowEntry] = (),
    versions: Mapping[str, str] | None = None,
    seed: int = 0,
    prune: bool = False,
    expect_error_pages: bool = False,
) -> StormReport:
    """Run ``scenario`` (a storm kind or its name) against ``server`` in ``browser`` over ``pages`` (default: the
    pages the server found in the app) and judge it. Several browsers are a crowd: each storms at the same time
    with a seed of its own, and the storm is judged as one, with what each browser caused attributed to it. Raises
    :class:`storm.StormSkipped` where the scenario cannot run as configured or cannot apply to the app (in one
    line, before anything is judged), and :class:`PartDied` where the
    server, Chrome or its driver died or hangs, instead of a wall of tracebacks.

    With ``prune``, the storm is also judged after the browsers left and NiceGUI's own prune ran over its
    clients, aged past the threshold: the server must be back where it started, with none of the storm's
    clients and no more tasks than before (:func:`after_prune`). With ``expect_error_pages``, pages served with
    an error status are shown, not failed: the app's pages answer that way by design (a release's terminal
    error page for a page too slow to build). ``expect_race`` defaults to the storm kind's."""
    browsers = [browser] if isinstance(browser, Browser) else list(browser)
    pages = list(pages or server.pages())
    if not pages:
        raise storm.StormSkipped(
            f'{server.options.app.name} registers no page a storm can visit (routes with path '
            'parameters need concrete instances: --nicegui-e2e-pages /orders/1)'
        )
    kind = storm.require(scenario, server_selector)
    for each in browsers:
        each.revive()
    if kind.needs & storm.PAGE_NEEDS:
        reason = storm.unmet(kind, app_facts(browsers[0], server.base_url + pages[0]))
        if reason:
            raise storm.StormSkipped(reason)
    check = replace(check or PageCheck(), path=(check.path if check and check.path else pages[0]))
    try:
        return _storm_and_judge(
            server,
            browsers,
            kind,
            pages,
            server_selector,
            count=count,
            cadence=cadence,
            check=check,
            expect_race=kind.expect_race if expect_race is None else expect_race,
            allowlist=allowlist,
            versions=versions or {},
            seed=seed,
            prune=prune,
            expect_error_pages=expect_error_pages,
        )
    except PartDied:
        raise
    except Exception:
        casualty = trouble(server, *browsers)
        if casualty:
            raise PartDied(casualty) from None
        raise


def _storm_all(
    server: NiceGUIServer,
    browsers: list[Browser],
    kind: storm.StormKind,
    pages: storm.Pages,
    server_selector: str,
    *,
    count: int,
    cadence: storm.Cadence,
    seed: int,
) -> storm.StormResult:
    """Every browser storms at once (one thread each: a WebDriver call waits on its browser, not on the GIL)."""
    # past the moment the server acts on a dropped socket's end, late where told to be
    hold = server.options.disconnect_delay + reconnect_timeout(server.diagnostics(since=1 << 30)) + DROP_GRACE
    results: list[storm.StormResult | None] = [None] * len(browsers)
    together = threading.Barrier(len(browsers))

    def lane(n: int) -> None:
        each = browsers[n]
        context = storm.StepContext(
            pages,
            seed=seed + n,
            server_selector=server_selector,
            install=each.install_in_new_tab,
            hold=hold,
            answers=round_trip,
        )
        step = storm.build_step(kind, context)
        together.wait(timeout=LANE_START)
        result = storm.run_storm(
            each.driver,
            server.base_url,
            kind.name,
            step,
            count=count,
            cadence=cadence,
            seed=seed + n,
            live_share=kind.live_share,
            trouble=lambda: trouble(server, *browsers),
        )
        result.heard = list(context.heard)
        result.live_departures += len(context.went_live)  # run_storm saw those pages before their handshake
        results[n] = result

    if len(browsers) == 1:
        lane(0)
    else:
        threads = [
            threading.Thread(target=lane, args=(n,), name=f'nicegui-e2e-browser-{n + 1}', daemon=True)
            for n in range(len(browsers))
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + LANE_START + count * (STEP_DEADLINE + cadence.high / 1000) + LANE_START
        for thread in threads:
            thread.join(timeout=max(deadline - time.monotonic(), 0))
        stuck = [n + 1 for n, result in enumerate(results) if result is None]
        if stuck:
            raise PartDied(
                trouble(server, *browsers)
                or f'browser(s) {stuck} of the crowd did not finish their storm by its deadline'
            )
    done = [result for result in results if result is not None]
    return done[0] if len(done) == 1 else storm.StormResult.crowd(done)


def _storm_and_judge(
    server: NiceGUIServer,
    browsers: list[Browser],
    kind: storm.StormKind,
    pages: storm.Pages,
    server_selector: str,
    *,
    count: int,
    cadence: storm.Cadence,
    check: PageCheck,
    expect_race: bool,
    allowlist: Sequence[incident.AllowEntry],
    versions: Mapping[str, str],
    seed: int,
    prune: bool,
    expect_error_pages: bool,
) -> StormReport:
    for each in browsers:
        each.reset(server.base_url)
    start = mark(server)
    result = _storm_all(server, browsers, kind, pages, server_selector, count=count, cadence=cadence, seed=seed)
    casualty = trouble(server, *browsers)
    if casualty:
        raise PartDied(casualty)
    checks = []
    for each in browsers:  # the last page is judged as a user meets it, without the fault, in every browser
        with each.handshake_delay(0):
            checks.append(check_page(each, server.base_url, check))
    consoles = [each.console() for each in browsers]
    if prune:  # the browsers leave, so every client of the storm must go
        for each in browsers:
            each.reset(server.base_url)
    snapshot = settle(server, result.started)
    events = server.diagnostics(since=start.events)['events']
    pruned = after_prune(server, result.started, events, start.tasks) if prune else None
    # read after the prune: what the server logs while it deletes the storm's clients is the storm's too
    collected = Collected(
        result=result,
        cadence=str(cadence),
        events=events,
        snapshot=snapshot,
        race_hits_before=start.race_hits,
        raw_log=server.stdout()[start.stdout :] + server.stderr()[start.stderr :],
        records=server.records()[start.records :],
        consoles=consoles,
        checks=checks,
        lost_guard=server.info['lost_guard'],
        pruned=pruned,
        app_folder=str(server.options.app.resolve().parent),
    )
    evidence = gather(
        collected,
        expect_race=expect_race,
        allowlist=allowlist,
        versions=versions,
        expect_error_pages=expect_error_pages,
    )
    return StormReport(
        evidence,
        judge_storm(evidence),
        result,
        server.info,
        events,
        collected.console,
        collected.raw_log,
        collected.records,
    )


TRANSPORT_TASKS = (
    'AsyncSocket.',
    'AsyncServer.',
    'WSProtocol.',
    'WebSocketProtocol.',
    'H11Protocol.',
    'HttpToolsProtocol.',
    'RequestResponseCycle.',
    'Queue.get',
    'TaskHandle.',
)
"""Coroutines of the transport (Engine.IO sockets, uvicorn's protocols, AnyIO's task groups under Starlette),
which end a closed connection's tasks on their own timers (a ping interval); not NiceGUI's lifecycle, so not
counted as left over."""
TASK_NOISE = 2
"""Tasks of a kind the count may be off by: the diagnostics request that counts them runs helper tasks of its own
(Starlette's middleware waits on an event); a leak grows with every page load, far beyond this."""
TASK_WIND_DOWN = 5.0
"""Seconds the tasks of deleted clients get to end before those still there count as left over."""
PRUNE_LOOP = 10.0
"""Seconds between two runs of NiceGUI's prune loop, its only prune before 2.24, which the suite leaves alone."""
PRUNE_DEADLINE: Mapping[PruneSchedule, float] = {'timer': PRUNE_PERIOD + 5.0, 'loop': PRUNE_LOOP + 5.0}
"""Seconds to wait for NiceGUI's own prune after the storm's clients were aged: one period, and some."""


def after_prune(
    server: NiceGUIServer,
    since: float,
    events: Sequence[Event],
    tasks_before: Mapping[str, int],
) -> AfterPrune:
    """Age the storm's clients past NiceGUI's threshold, wait for NiceGUI's own prune to run on its own schedule,
    and read what is left: clients of the storm (by the pages it served) and NiceGUI's tasks beyond those there
    before the storm. The suite never prunes: a NiceGUI whose prune does not run leaves the aged clients."""
    storm_clients = {event.get('client') for event in events if event['kind'] == 'page'}
    aged = server.prune(since)
    how = aged['how']

    def left() -> list[ClientState]:
        return [c for c in server.diagnostics(since=1 << 30)['clients'] if c['id'] in storm_clients]

    def ran_since(runs: int) -> bool:
        return (server.diagnostics(since=1 << 30)['prune_runs'] or 0) > runs

    runs = aged['runs']
    if runs is None:  # a loop's runs are not counted: it is done once it deleted the aged clients it may delete
        wait_at_most(
            lambda: not [c for c in left() if not c['looks_connected']], timeout=PRUNE_DEADLINE[how], interval=0.2
        )
    else:  # a run of NiceGUI's prune timer that started after the clients were aged
        wait_at_most(lambda: ran_since(runs), timeout=PRUNE_DEADLINE[how], interval=0.1)
    # a client whose socket's end the server heard only after the settle waits for its own deletion, which NiceGUI's
    # prune leaves to it (3.x skips clients with a deletion pending): it gets the reconnect timeout, as in the settle
    wait_at_most(
        lambda: not [c for c in left() if not c['looks_connected']],
        timeout=reconnect_timeout(server.diagnostics(since=1 << 30)) + SETTLE_GRACE,
        interval=0.2,
    )
    survivors = left()

    def growth() -> dict[str, int]:
        after = server.diagnostics(since=1 << 30, collect=True)['tasks']  # what is still held, not garbage
        return {
            name: count - tasks_before.get(name, 0)
            for name, count in sorted(after.items())
            if count > tasks_before.get(name, 0) + TASK_NOISE and not name.startswith(TRANSPORT_TASKS)
        }

    # a deleted client's tasks end on their next wake-up (an outbox's within a second); NiceGUI's prune loop keeps
    # the clients it deleted in a local list until its next run (seen on 2.13.0), so what only they hold waits
    # that long for the collection; what is left then is the finding
    wind_down = TASK_WIND_DOWN + (PRUNE_LOOP if how == 'loop' else 0.0)
    wait_at_most(lambda: not growth(), timeout=wind_down, interval=0.5)
    return AfterPrune(
        how=how,
        clients=len(survivors),
        looking_connected=sum(1 for c in survivors if c['looks_connected']),
        task_growth=growth(),
    )
