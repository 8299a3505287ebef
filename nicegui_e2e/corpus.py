"""The known lifecycle bugs of NiceGUI, each with the releases it affects and the storm that catches it.

A storm test that catches one asks :func:`affecting` whether the NiceGUI under test has it; where it does,
the storm must show the bug (:meth:`nicegui_e2e.lifecycle.StormReport.expect_bugs`), and its record says
"bug detected (#5803)": the detector's negative control, on a real release. Where it does not, the storm
must pass. So each bug is held to being detected on its last bad release and clean on its first fixed one
by the tests themselves, in the matrix's cells on either side of each fix; the matrix report shows the
outcomes of every cell beside the bug.

Release ranges were read from NiceGUI's tags and confirmed by running the storm on both sides of the fix
(the README's corpus table says which cells ran).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from packaging.version import InvalidVersion, Version

from .disconnect import UPSTREAM_GUARD_SINCE
from .findings import Code, Finding


@dataclass(frozen=True)
class KnownBug:
    key: str  # the upstream issue ('#5803'), or a name where upstream has none
    what: str
    first_bad: str
    last_bad: str  # for a bug no release fixes yet: the newest release it was seen on
    first_fixed: str  # '' where no release fixes it yet: upgrading does not help
    shows: tuple[Code, ...]  # the findings that are this bug (any of them, by release)
    test: str  # the test function whose storm catches it
    everywhere: bool = False  # every storm's verdict can see it, not only the storm made for it
    storm: str = ''  # with ``everywhere``: the storm kind made to show it, which fails on it in any run
    follows: tuple[Code, ...] = ()  # findings that follow from it once it shows (they alone show nothing)

    def shown_by(self, finding: Finding) -> bool:
        return finding.code in self.shows

    def explains(self, finding: Finding) -> bool:
        """The finding is this bug's, shown or following from it (a page that never settles misses steps)."""
        return self.shown_by(finding) or finding.code in self.follows

    def affects(self, version: str) -> bool:
        return Version(self.first_bad) <= Version(version) <= Version(self.last_bad)

    @property
    def releases(self) -> str:
        """'2.14.0 to 3.7.1', or the one release a bug lived in."""
        return self.first_bad if self.first_bad == self.last_bad else f'{self.first_bad} to {self.last_bad}'

    @property
    def fixed_in(self) -> str:
        """The release that fixes it, or 'no release yet'."""
        return self.first_fixed or 'no release yet'

    @property
    def fix(self) -> str:
        """'fixed in 3.8.0', or 'not fixed in any release yet, seen to 3.18.0'."""
        if self.first_fixed:
            return f'fixed in {self.first_fixed}'
        return f'not fixed in any release yet, seen to {self.last_bad}'

    @property
    def label(self) -> str:
        return f'{self.key} (NiceGUI {self.releases}, {self.fix})'


KNOWN: tuple[KnownBug, ...] = (
    KnownBug(
        '#4500',
        'each load of an async page that does not wait for its connection leaves a task waiting for '
        'it that nothing holds: garbage-collected while pending, asyncio logs an ERROR',
        '2.13.0',
        '2.13.0',
        '2.14.0',
        (Code.PENDING_TASK_DESTROYED,),
        'test_async_pages_leave_no_task_behind',
    ),
    KnownBug(
        '#4753',
        'a page sends its events before its handshake is done and NiceGUI drops them: a click made '
        'as soon as a page shows does nothing',
        '2.0.0',
        '2.17.0',
        '2.18.0',
        (Code.DROPPED_EVENTS,),
        'test_clicks_during_the_handshake_reach_their_handlers',
        everywhere=True,
        storm='early-click',
        follows=(Code.UNHEARD_CLICKS,),
    ),
    KnownBug(
        '#5803',
        'each load of an async page that does not wait for its connection leaves a task waiting for it for ever',
        '2.14.0',
        '3.7.1',
        '3.8.0',
        (Code.WAITS_AFTER_PRUNE,),
        'test_async_pages_leave_no_task_behind',
    ),
    KnownBug(
        '#5595',
        "a timer waits for its page's connection without end: the timer of a page left before it "
        'connected outlives the pruned client for the life of the server',
        '3.0.0',
        '3.4.1',
        '3.5.0',
        (Code.TIMERS_AFTER_PRUNE,),
        'test_timers_of_pages_left_before_they_connected_end',
    ),
    KnownBug(
        'late handshake',
        'a handshake processed after its socket left fails in enter_room after giving the '
        "client a tab id: the client looks connected, so NiceGUI's prune skips it and nothing "
        'deletes it, and its outbox and a waiting task run on',
        '2.11.0',
        '3.17.1',
        '3.18.0',
        (Code.CONNECTED_AFTER_PRUNE,),
        'test_a_late_handshake_leaves_no_client_behind',
        follows=(Code.WAITS_AFTER_PRUNE, Code.TASKS_AFTER_PRUNE),
    ),
    KnownBug(
        '#4253',
        "a page whose connection drops comes back on a new socket, and the old socket's late "
        'disconnect then deletes the client it came back to: the page stays on screen, dead',
        '2.0.0',
        '2.10.1',
        '2.11.0',
        (Code.DELETED_LIVE,),
        'test_a_page_keeps_working_after_its_connection_drops',
        follows=(Code.LOST_RECONNECT, Code.MISSED_STEPS),
    ),
    KnownBug(
        'stale disconnect',
        "a page's old socket, reaped by the server after the page came back on a new one, takes the client's "
        "tab id with it: NiceGUI then drops the page's events and stops sending to it, and the page stays "
        'frozen until reloaded by hand (upstream PR #6237; 3.0 to 3.11 may instead reload the page silently on '
        'its reconnect, upstream #6018, which the same storm shows)',
        '2.24.0',
        '3.16.0',
        '3.17.0',
        (Code.LOST_RECONNECT,),
        'test_a_page_keeps_working_after_its_connection_drops',
        follows=(Code.MISSED_STEPS, Code.SELF_RELOAD),
    ),
    KnownBug(
        '#6126',
        'an async page that takes longer to build than its response_timeout is answered with the page '
        'of a client already deleted: its handshake fails and it reloads itself for as long as the user '
        'waits',
        '3.0.0',
        '3.13.0',
        '3.14.0',
        (Code.SELF_RELOAD,),
        'test_a_page_slower_than_its_response_timeout_settles',
        follows=(Code.MISSED_STEPS, Code.DEAD_PAGE),
    ),
    KnownBug(
        'timed-out wait',
        'each load of a page slower than its response_timeout leaves a task waiting for its connection for the life '
        'of the server: the terminal error page that fixed #6126 returns before that wait is cancelled (found by '
        'this suite; no upstream issue yet)',
        '3.14.0',
        '3.18.0',
        '',
        (Code.WAITS_AFTER_PRUNE,),
        'test_a_page_slower_than_its_response_timeout_leaves_no_task',
    ),
)
"""#4304 is not here: the fix modes hold it to its releases (see the README's "Fix modes")."""

ISSUE_4304 = KnownBug(
    '#4304',
    "a socket that leaves before its handshake is processed makes NiceGUI's handle_disconnect raise KeyError",
    '2.11.0',
    '2.11.0',
    str(UPSTREAM_GUARD_SINCE),
    (Code.ISSUE_4304,),
    'test_detector_fires_without_the_fix',
)
"""#4304 as the other known bugs are told, for what a team asks of its release (:func:`known_bugs_of`) and
accepts of it (:func:`accepted_of`); its storms are judged by the fix modes, not through :data:`KNOWN`. The
release before 2.11.0 kept no per-socket mapping, so the bug could not exist there."""

EVERY = (ISSUE_4304, *KNOWN)
"""Every known bug, #4304 first: the keys a team may accept in its allow-list."""


def of_release(version: str) -> list[KnownBug]:
    """The known bugs of NiceGUI ``version``; none for a server that did not say which NiceGUI it runs."""
    try:
        return [bug for bug in KNOWN if bug.affects(version)]
    except InvalidVersion:
        return []


def seen_everywhere(version: str) -> list[KnownBug]:
    """The known bugs of NiceGUI ``version`` that any storm may show (an app whose components send events as
    they mount loses them on a release with #4753): shown where they appear, failing only the storm made for
    them, which holds them to their releases."""
    return [bug for bug in of_release(version) if bug.everywhere]


def candidates(finding: Finding, findings: Sequence[Finding], version: str) -> list[KnownBug]:
    """The known bugs of NiceGUI ``version`` that ``finding`` (one of a storm's ``findings``) may be: first those
    showing in ``findings`` by another finding that it follows from (a page that reloads itself, or steps missed,
    after its connection came back, with the stale disconnect), then those it shows as itself. None for a finding
    that no known bug showing here is or leads to, even where a bug of the release could lead to it: that would be
    a guess (a late handshake leaves waiting tasks only beside the client it leaves, which would show it); the
    generic detectors stay generic."""
    try:
        bugs = known_bugs_of(version)
    except InvalidVersion:  # a server that did not say which NiceGUI it runs
        return []
    direct = [bug for bug in bugs if bug.shown_by(finding)]
    showing = [bug for bug in bugs if bug not in direct and any(map(bug.shown_by, findings))]
    return [bug for bug in showing if finding.code in bug.follows] + direct


def named(findings: Sequence[Finding], version: str) -> list[Finding]:
    """The findings, each saying which known bug of NiceGUI ``version`` it is (:func:`candidates`), in any storm, not
    only the one made for the bug; where it may be one of several (self-reloads on 3.13.0 follow from the stale
    disconnect where a storm's dropped pages did not come back, or are #6126's), it names them all, and ``bug`` the
    first. #4304
    is named too (on 2.11.0), as a team's run meets it with NiceGUI as shipped."""

    def one(finding: Finding) -> Finding:
        bugs = candidates(finding, findings, version)
        if not bugs:
            return finding
        if len(bugs) == 1:
            words = f'known bug {bugs[0].key} of NiceGUI {version}, {bugs[0].fix}'
        else:
            words = 'known bug ' + ' or '.join(f'{bug.key} ({bug.fix})' for bug in bugs) + f' of NiceGUI {version}'
        return replace(finding, text=f'{words}: {finding.text}', bug=bugs[0].key)

    return [one(finding) for finding in findings]


def affecting(test: str, version: str) -> list[KnownBug]:
    """The known bugs of NiceGUI ``version`` that the storm of ``test`` must show."""
    return [bug for bug in KNOWN if bug.test == test and bug.affects(version)]


def known_bugs_of(version: str) -> list[KnownBug]:
    """Every known bug of NiceGUI ``version``, #4304 included; raises ``InvalidVersion`` for a version that is
    not one."""
    Version(version)
    return [bug for bug in EVERY if bug.affects(version)]


def accepted_of(keys: Collection[str], version: str) -> list[KnownBug]:
    """The known bugs of NiceGUI ``version`` (#4304 included) among ``keys``, the ones a team's allow-list
    accepts; none for a server that did not say which NiceGUI it runs. An accepted key not among them is one
    the release does not have: stale."""
    try:
        return [bug for bug in known_bugs_of(version) if bug.key in keys]
    except InvalidVersion:
        return []


def fixed_later(version: str) -> list[KnownBug]:
    """The known bugs of NiceGUI ``version`` that a later release fixes: those an upgrade leaves behind."""
    return [bug for bug in known_bugs_of(version) if bug.first_fixed]


def first_release_free(version: str) -> str | None:
    """The first release from ``version`` on that none of the known bugs a release fixes affects, as the corpus
    knows them; None where ``version`` has none. A release after the last fix of the bugs of ``version`` may have
    bugs of its own (2.10.1's are fixed by 2.18.0, which has #5803), so each fix is a candidate until one is free of
    every bug. A bug no release fixes yet is not counted: no release is free of it."""
    if not fixed_later(version):
        return None
    candidates = sorted(
        {Version(bug.first_fixed) for bug in EVERY if bug.first_fixed and Version(bug.first_fixed) > Version(version)}
    )
    return next(str(candidate) for candidate in candidates if not fixed_later(str(candidate)))
