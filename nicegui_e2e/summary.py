"""One storm's figures and verdict as one typed record: what the terminal summary prints, what goes to junit
as a test property, what the run report stores and what the matrix report reads back.

A record crosses processes (xdist workers hand it to the controller inside a report's user properties) and
runs (the matrix report reads the JSON of many), so it is plain data with one JSON form.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from .lifecycle import StormReport
from .verdict import handshake_label

PROPERTY = 'nicegui_storm'
"""The name of the junit property (and the user property xdist carries) that holds a record."""


@dataclass(frozen=True)
class StormSummary:
    scenario: str
    cadence: str
    handshake: str  # which handshake path the storm's pages took, in words
    line: str  # the storm's figures as one line
    nicegui: str
    mode: str  # the disconnect fix mode asked for: on, off or bug
    guard: str  # what the handler had: upstream, applied, absent, restored, not applicable
    fix: str  # the same in words
    lost_guard: bool
    bug_present: bool
    expects_4304: bool
    navigations: int
    departures: int
    live_departures: int  # of those, left after the handshake; the race-hit rate counts the others
    race_hits: int | None
    keyerrors: int
    other_errors: int
    allowed: int
    unconnected: int
    leaked: int
    seconds: float
    signatures: dict[str, tuple[int, bool]]  # signature -> (count, allowed)
    allowed_by: list[str]
    live_entries: list[str]
    failures: list[str]  # what failed the storm, read against what it had to show
    notes: list[str]
    nodeid: str = ''
    outcome: str = ''  # the test's: passed, failed, error, xfailed, xpassed, rerun
    reruns: int = 0  # earlier attempts of this test that failed; a race that showed once is a bug
    handshake_paths: dict[str, int] = field(default_factory=dict)
    known_bugs: list[str] = field(default_factory=list)  # known bugs of this release the storm had to show
    shown: list[str] = field(default_factory=list)  # the verdict's words for them, as the storm showed them
    user_entries: list[str] = field(default_factory=list)  # of live_entries, those of the user's own allow-list

    @classmethod
    def of(cls, report: StormReport, nodeid: str = '', reruns: int = 0) -> StormSummary:
        e = report.evidence
        info = report.server_info
        return cls(
            scenario=e.scenario, cadence=e.cadence, handshake=handshake_label(e.handshake_paths), line=report.line,
            nicegui=str(info.get('nicegui', '?')), mode=str(info.get('disconnect_fix', '?')),
            guard=str(info.get('guard', '?')), fix=str(info.get('fix', '?')), lost_guard=e.lost_guard,
            bug_present=bool(info.get('bug_present')), expects_4304=report.expects_4304,
            navigations=e.navigations, departures=e.departures, live_departures=e.live_departures,
            race_hits=e.race_hits, keyerrors=e.keyerrors,
            other_errors=len(e.judged.failing) - len(e.judged.issue_4304), allowed=len(e.judged.allowed),
            unconnected=e.unconnected, leaked=e.leaked_clients + e.dead_mappings, seconds=round(e.seconds, 2),
            signatures=e.judged.signature_counts(),
            allowed_by=sorted({entry.signature for _, entry in e.judged.allowed}),
            live_entries=sorted({entry.signature for entry in e.judged.live}),
            failures=report.problems(), notes=list(report.verdict.notes), nodeid=nodeid, reruns=reruns,
            handshake_paths=dict(e.handshake_paths), known_bugs=[bug.key for bug in report.expected_bugs],
            shown=[failure for failure in report.verdict.failures
                   if any(bug.shown_by(failure) for bug in [*report.expected_bugs, *report.tolerated_bugs])],
            user_entries=sorted({entry.signature for entry in e.judged.live if not entry.shipped}))

    def at(self, nodeid: str, outcome: str) -> StormSummary:
        return replace(self, nodeid=nodeid, outcome=outcome)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> StormSummary:
        """From the JSON form; keys this version does not know (a newer writer's) are left out."""
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values['signatures'] = {name: (int(count), bool(allowed))
                                for name, (count, allowed) in values.get('signatures', {}).items()}
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> StormSummary:
        return cls.from_data(json.loads(text))

    @property
    def in_window(self) -> int:
        """Departures inside the connect-to-handshake window: what a race hit is counted against."""
        return self.departures - self.live_departures

    @property
    def verdict(self) -> str:
        """What the storm means, in words: its outcome read against what its server had to show."""
        if self.outcome == 'xfailed':
            return 'known finding (xfail)'
        if self.outcome not in ('passed', 'xpassed') or self.reruns:
            only_4304 = self.failures and all(f.startswith('#4304') for f in self.failures)
            return 'bug detected' if only_4304 and self.bug_present else 'FAIL'
        if self.known_bugs or self.expects_4304:
            return f'bug detected ({", ".join(self.known_bugs)})' if self.known_bugs else 'bug detected'
        if self.failures:
            return 'failure shown on purpose'  # the test inspected a failing verdict, as its point
        if self.race_hits is None:
            return 'pass (no race here)'
        return 'pass' if self.race_hits else 'pass (race not hit)'
