"""The verdict on one storm: a pure function of the evidence, so it is unit-tested without a browser."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .findings import Code, Finding
from .incident import Incident, Judged

LONG_RECONNECT_TIMEOUT = 10.0
HELD_NOTE = (
    "the hold-back turned this NiceGUI's implicit handshake into the explicit one it keeps for prefetched "
    'pages: these race hits are the ones prefetched pages meet'
)


@dataclass
class LaneTally:
    """What one browser of a crowd did, and what it caused, as the server saw it."""

    browser: int  # 1 for the first
    navigations: int
    departures: int
    live_departures: int
    race_hits: int
    handler_errors: list[int]  # per error of the disconnect handler, the navigation that caused it (0: the check's)
    error_pages: int
    leaked: int
    console_severe: int
    missed: int
    page_works: bool

    def line(self) -> str:
        caused = ''
        if self.handler_errors:
            steps = [str(n) for n in self.handler_errors if n]
            steps += ['the page check'] if 0 in self.handler_errors else []
            caused = f', {len(self.handler_errors)} disconnect handler error(s) caused by navigation(s) ' + ', '.join(
                steps
            )
        return (
            f'browser {self.browser}: {self.navigations} navigations, {self.race_hits} race hits'
            f'{caused}{f", {self.leaked} leaked" if self.leaked else ""}'
            f'{"" if self.page_works else ", page check failed"}'
        )


@dataclass
class AfterPrune:
    """What is left of a storm once its browsers left and NiceGUI pruned its clients, aged past the threshold."""

    how: str  # how NiceGUI pruned on its own: 'timer' (2.24 and later), 'loop' (before; wire.PruneSchedule)
    clients: int  # the storm's clients still there
    looking_connected: int  # of those, clients with a tab id: NiceGUI's prune skips them, so nothing deletes them
    task_growth: Mapping[str, int]  # NiceGUI's pending tasks by coroutine, less those before the storm


@dataclass
class Evidence:
    """Everything a storm left behind that the verdict reads."""

    scenario: str
    cadence: str
    navigations: int
    departures: int  # navigations that left a NiceGUI page
    missed: list[str]  # steps that could not be taken, with the reason (other than the lost pages below)
    seconds: float
    race_hits: int | None  # None: this NiceGUI keeps no per-socket mapping, so there is no race to hit
    expect_race: bool
    keyerrors_raw: int  # #4304 tracebacks in the raw text
    judged: Judged  # incidents from structured records and raw text, after the allow-list
    leaked_clients: int
    dead_mappings: int
    unconnected: int  # pages served whose socket never handshook; NiceGUI prunes them after a minute
    page_works: bool
    page_problem: str = ''
    console_severe: list[str] = field(default_factory=list)
    handshake_paths: Mapping[str, int] = field(default_factory=dict)  # connects of the storm by handshake path
    live_departures: int = 0  # of those, departures after the handshake: the race-hit rate counts the others
    lost_guard: bool = False  # NiceGUI should carry its own #4304 guard and the server found none
    error_pages: Mapping[str, int] = field(default_factory=dict)  # '/x answered 404' -> page loads
    reconnect_timeout: float | None = None  # the server's: how long the settle after the storm may take
    lanes: list[LaneTally] = field(default_factory=list)  # a crowd's browsers; empty for a storm of one
    pruned: AfterPrune | None = None  # where the storm asked: what NiceGUI's prune left of it
    dropped_events: int = 0  # events of the browser that reached the server before their page's handshake
    clicks_checked: int = 0  # pages clicked as they showed, then stayed on until their handshake was done
    unheard_clicks: int = 0  # of those, pages whose click never reached the server as an event it handles
    self_reloads: Mapping[str, int] = field(default_factory=dict)  # NiceGUI's reason -> pages it reloaded for it
    deleted_live: int = 0  # clients NiceGUI deleted while their page still had a socket connected
    error_pages_expected: bool = False  # the storm's pages answer with an error page by design (a terminal 500)
    lost: list[str] = field(default_factory=list)  # steps whose page did not come through its reconnect, and how
    timed_out: Mapping[str, int] = field(default_factory=dict)  # path -> loads NiceGUI answered with its page for a
    #                                                             page slower than its response_timeout (a 500)
    raceless: Mapping[str, int] = field(default_factory=dict)  # why pages left in the window could not race -> pages
    app_folder: str = ''  # the folder of the app's file: an error with frames there went through the app's code

    @property
    def crowd(self) -> int:
        return len(self.lanes) or 1

    @property
    def raceless_pages(self) -> str:
        """'3 answered with an error page, 1 whose client NiceGUI had deleted': the pages left before their handshake
        that could not race, and why; '' where every one could."""
        return ', '.join(f'{count} {why}' for why, count in sorted(self.raceless.items()))

    @property
    def keyerrors(self) -> int:
        return max(len(self.judged.issue_4304), self.keyerrors_raw)


@dataclass
class Verdict:
    findings: list[Finding]  # what fails the storm
    notes: list[str]  # what explains its figures, for people only


def handshake_label(paths: Mapping[str, int]) -> str:
    """Which handshake path the storm's pages took, in the words the storm line uses ('' where unknown)."""
    words = {
        'explicit': 'explicit handshake',
        'implicit': 'implicit handshake',
        'held': 'handshake held: implicit made explicit',
    }
    used = {path: count for path, count in paths.items() if count}
    if len(used) == 1:
        return words[next(iter(used))]
    return 'handshakes: ' + ', '.join(f'{count} {path}' for path, count in sorted(used.items())) if used else ''


def by_browser(lanes: list[LaneTally], count: Callable[[LaneTally], int]) -> str:
    """' (browser 1: 3, browser 4: 1)': where a crowd's finding came from; '' for a storm of one browser."""
    found = [f'browser {lane.browser}: {count(lane)}' for lane in lanes if count(lane)]
    return f' ({", ".join(found)})' if found else ''


def judge_storm(e: Evidence) -> Verdict:
    """Every failure the evidence shows, and the notes that explain the figures."""
    failures: list[Finding] = []
    notes: list[str] = []
    if e.lost_guard:
        failures.append(
            Finding(
                Code.LOST_GUARD,
                'NiceGUI lost its #4304 guard: handle_disconnect looks up sockets it never mapped, as '
                '2.11.0 did (upstream guards it since 2.11.1); the suite applied its own so that the storm could run',
            )
        )
    if e.keyerrors:
        failures.append(
            Finding(
                Code.ISSUE_4304,
                f'#4304: {e.keyerrors} KeyError(s) in handle_disconnect '
                f'({len(e.judged.issue_4304)} in records, {e.keyerrors_raw} in raw text)'
                + by_browser(e.lanes, lambda lane: len(lane.handler_errors)),
                e.keyerrors,
            )
        )
    other = [i for i in e.judged.failing if not i.is_4304]
    destroyed = [i for i in other if destroyed_pending(i)]
    for code, incidents in (
        (Code.PENDING_TASK_DESTROYED, destroyed),
        (Code.OTHER_ERRORS, [i for i in other if i not in destroyed]),
    ):
        if incidents:
            names = sorted({i.signature for i in incidents})
            failures.append(
                Finding(
                    code,
                    f'{len(incidents)} other server error(s): {", ".join(names)}{_in_the_app(incidents, e.app_folder)}',
                    len(incidents),
                )
            )
    if e.race_hits is None:
        notes.append('race not applicable: this NiceGUI keeps no per-socket mapping')
    elif e.race_hits == 0:
        message = 'the race was never hit: this storm proves nothing about #4304'
        if e.raceless:  # the pages it left gave it nothing to hit: the findings of those pages say why
            notes.append(f'{message}; the pages it left before their handshake could not race: {e.raceless_pages}')
        elif e.expect_race:
            failures.append(Finding(Code.NO_RACE, message, 0))
        else:
            notes.append(message)
    failures.extend(_clients(e))
    _browser_side(e, failures, notes)
    notes.extend(lane.line() for lane in e.lanes)
    return Verdict(failures, notes + _context(e))


def _in_the_app(incidents: list[Incident], folder: str) -> str:
    """' (2 of them raised through the app's own code: main.py:board)', or '' where none was: so that a team
    tells its own code's errors (a page that awaits the browser its user left) from NiceGUI's."""
    ours = [frames for frames in (incident.through(folder) for incident in incidents) if frames]
    if not ours:
        return ''
    places = sorted({f'{Path(frame.file).name}:{frame.function}' for frames in ours for frame in frames})
    return f" ({len(ours)} of them raised through the app's own code: {', '.join(places)})"


def destroyed_pending(incident: Incident) -> bool:
    """asyncio's own error for a task garbage-collected while still pending (#4500's symptom)."""
    return incident.logger == 'asyncio' and incident.exc.message.startswith('Task was destroyed but it is pending')


def _browser_side(e: Evidence, failures: list[Finding], notes: list[str]) -> None:
    """What the browser met: the last page, its console, the steps it could take and the pages it was served."""
    if not e.page_works:
        failures.append(Finding(Code.DEAD_PAGE, f'the last page does not work: {e.page_problem}'))
    if e.console_severe:
        failures.append(
            Finding(
                Code.CONSOLE_SEVERE,
                f'{len(e.console_severe)} SEVERE browser console message(s): '
                f'{e.console_severe[0]}' + by_browser(e.lanes, lambda lane: lane.console_severe),
                len(e.console_severe),
            )
        )
    if e.lost:
        failures.append(
            Finding(
                Code.LOST_RECONNECT,
                f'{len(e.lost)} page(s) did not come through the drop of their connection: {e.lost[-1]}',
                len(e.lost),
            )
        )
    if e.missed:
        failures.append(
            Finding(
                Code.MISSED_STEPS,
                f'the storm could not take its steps ({len(e.missed)} missed): {e.missed[-1]}',
                len(e.missed),
            )
        )
    if e.self_reloads:
        failures.append(
            Finding(
                Code.SELF_RELOAD,
                f'{sum(e.self_reloads.values())} page(s) reloaded by themselves, '
                'NiceGUI saying why: ' + ', '.join(f'{why} x{count}' for why, count in sorted(e.self_reloads.items())),
                sum(e.self_reloads.values()),
            )
        )
    if e.timed_out:
        notes.append(
            f'{sum(e.timed_out.values())} page load(s) took longer to build than their response_timeout, and NiceGUI '
            'answered with its error page that says so: '
            + ', '.join(f'{path} x{count}' for path, count in sorted(e.timed_out.items()))
            + "; the app's page and its setting, not the lifecycle (await the client's connection before slow work, "
            'or raise the response_timeout)'
        )
    if e.error_pages:
        expected = ', as this storm expects' if e.error_pages_expected else ''
        text = (
            f'{sum(e.error_pages.values())} page load(s) got an error page{expected}: '
            + ', '.join(f'{what} x{count}' for what, count in sorted(e.error_pages.items()))
            + by_browser(e.lanes, lambda lane: lane.error_pages)
        )
        if e.error_pages_expected:
            notes.append(text)
        else:
            failures.append(Finding(Code.ERROR_PAGES, text, sum(e.error_pages.values())))


def _clients(e: Evidence) -> list[Finding]:
    """What the server did with the storm's clients: kept too long, deleted too soon, deaf to their events."""
    found = []
    if e.leaked_clients or e.dead_mappings:
        found.append(
            Finding(
                Code.LEAKED_CLIENTS,
                f'leaked {e.leaked_clients} client(s) and {e.dead_mappings} socket '
                'mapping(s) after the reconnect timeout' + by_browser(e.lanes, lambda lane: lane.leaked),
                e.leaked_clients,
            )
        )
    if e.pruned is not None:
        found.extend(_after_prune(e.pruned))
    if e.deleted_live:
        found.append(
            Finding(
                Code.DELETED_LIVE,
                f'{e.deleted_live} client(s) deleted while their page was still '
                'connected: such a page stays on screen, dead (a click does nothing, nothing reloads it)',
                e.deleted_live,
            )
        )
    if e.unheard_clicks:
        found.append(
            Finding(
                Code.UNHEARD_CLICKS,
                f'{e.unheard_clicks} of {e.clicks_checked} page(s) clicked as they showed and stayed on until their '
                'handshake was done: the click never reached the server as an event it handles',
                e.unheard_clicks,
            )
        )
    if e.dropped_events:
        found.append(
            Finding(
                Code.DROPPED_EVENTS,
                f'{e.dropped_events} event(s) of the browser (clicks, input) '
                "reached the server before their page's handshake, and NiceGUI dropped them: their "
                'handlers never ran',
                e.dropped_events,
            )
        )
    return found


TASK_CODES = {'Event.wait': Code.WAITS_AFTER_PRUNE, 'Timer._run_in_loop': Code.TIMERS_AFTER_PRUNE}
"""Coroutines left after the prune that have a code of their own (a page's wait for its connection, a timer's
loop); any other is a task left after the prune."""


def _after_prune(p: AfterPrune) -> list[Finding]:
    found = []
    if p.clients:
        connected = (
            f'; {p.looking_connected} look connected without a socket (a handshake processed after its '
            "socket left), which NiceGUI's prune skips, so nothing ever deletes them"
            if p.looking_connected
            else ''
        )
        found.append(
            Finding(
                Code.CONNECTED_AFTER_PRUNE if p.looking_connected else Code.OUTLIVED_PRUNE,
                f"{p.clients} client(s) of the storm outlived NiceGUI's prune{connected}",
                p.clients,
            )
        )
    kinds: dict[Code, dict[str, int]] = {}
    for name, count in p.task_growth.items():
        kinds.setdefault(TASK_CODES.get(name, Code.TASKS_AFTER_PRUNE), {})[name] = count
    for code, growth in kinds.items():
        found.append(
            Finding(
                code,
                f'{sum(growth.values())} asyncio task(s) left after the storm and the prune: '
                + ', '.join(f'{name} +{count}' for name, count in growth.items()),
                sum(growth.values()),
            )
        )
    return found


def _context(e: Evidence) -> list[str]:
    """What a reader needs to weigh the figures, failing nothing."""
    notes = []
    if e.judged.allowed:
        notes.append(f'{len(e.judged.allowed)} allow-listed incident(s)')
    if (e.reconnect_timeout or 0) > LONG_RECONNECT_TIMEOUT:
        notes.append(
            f"the app keeps clients {e.reconnect_timeout:g} s after their socket left, so a storm's "
            "settle may take that long: shorten it on the suite's servers with "
            '--nicegui-e2e-reconnect-timeout'
        )
    if e.handshake_paths.get('held') and e.race_hits:
        notes.append(HELD_NOTE)
    if e.clicks_checked and not e.unheard_clicks:
        notes.append(
            f'{e.clicks_checked} page(s) clicked as they showed and stayed on until their handshake: every click '
            'reached the server'
        )
    if e.pruned is not None and not e.pruned.clients and not e.pruned.task_growth:
        notes.append(
            f"after the browsers left and NiceGUI's prune ran ({e.pruned.how}): none of the storm's "
            'clients and no more asyncio tasks than before'
        )
    return notes


def share(hits: int, in_window: int) -> float | None:
    """Race hits as a share of the departures inside the window, where it is one: a drop storm's reconnecting
    sockets race too, so its hits can outnumber its departures, and a share above 1 would mean nothing."""
    return hits / in_window if 0 < hits <= in_window else None


def figures(e: Evidence) -> str:
    """The one line a storm prints. Its counts are the findings' counts: the clients left after the settle, and
    where the storm was judged after the prune, the clients that outlived it."""
    hits = 'n/a' if e.race_hits is None else str(e.race_hits)
    in_window = e.departures - e.live_departures
    rate = ''
    if e.race_hits:
        part = share(e.race_hits, in_window)
        rate = (
            f' ({100 * part:.0f}% of departures in the window)'
            if part is not None
            else f' (more than the {in_window} departures in the window)'
        )
    live = f', {e.live_departures} left live' if e.live_departures else ''
    path = handshake_label(e.handshake_paths)
    crowd = f'crowd of {e.crowd}: ' if e.crowd > 1 else ''
    pruned = f', {e.pruned.clients} outlived the prune' if e.pruned is not None and e.pruned.clients else ''
    return (
        f'{crowd}{e.scenario} @ {e.cadence}{f" [{path}]" if path else ""}: '
        f'{e.navigations} navigations, {hits} race hits{rate}{live}, '
        f'{e.keyerrors} KeyErrors, {len(e.judged.failing) - len(e.judged.issue_4304)} other errors, '
        f'{len(e.judged.allowed)} allowed, {e.leaked_clients} leaked clients{pruned}, {e.seconds:.1f} s'
    )
