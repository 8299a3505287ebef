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

from .findings import Code, Finding, Outcome

PROPERTY = 'nicegui_storm'
"""The name of the junit property (and the user property xdist carries) that holds a record."""


BY_TEST_OUTCOME = {'xfailed': Outcome.KNOWN_FINDING, 'skipped': Outcome.SKIPPED}
"""What a storm came to where its test's outcome alone says it: a known finding, or a storm its test found could
not apply after it ran (judged, not enforced)."""


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
    failures: list[Finding]  # what failed the storm, read against what it had to show
    notes: list[str]
    nodeid: str = ''
    outcome: str = ''  # the test's: passed, failed, error, xfailed, xpassed, rerun
    reruns: int = 0  # earlier attempts of this test that failed; a race that showed once is a bug
    handshake_paths: dict[str, int] = field(default_factory=dict)
    known_bugs: list[str] = field(default_factory=list)  # known bugs of this release the storm had to show
    shown: list[Finding] = field(default_factory=list)  # the verdict's findings of known bugs the storm showed
    user_entries: list[str] = field(default_factory=list)  # of live_entries, those of the user's own allow-list
    accepted: list[Finding] = field(default_factory=list)  # findings of known bugs the allow-list accepts: not failed
    stale_bugs: list[str] = field(default_factory=list)  # known bugs the user's allow-list accepts, absent here
    beside: list[Finding] = field(default_factory=list)  # the negative control's other findings: shown, not failed

    def at(self, nodeid: str, outcome: str) -> StormSummary:
        return replace(self, nodeid=nodeid, outcome=outcome)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> StormSummary:
        """From the JSON form; keys this version does not know (a newer writer's) are left out, and an older
        writer's failures (sentences without a code) are read as :attr:`Code.UNRECORDED`."""
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values['signatures'] = {
            name: (int(count), bool(allowed)) for name, (count, allowed) in values.get('signatures', {}).items()
        }
        for key in ('failures', 'shown', 'accepted', 'beside'):
            values[key] = [Finding.from_data(finding) for finding in values.get(key, [])]
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> StormSummary:
        return cls.from_data(json.loads(text))

    @property
    def in_window(self) -> int:
        """Departures inside the connect-to-handshake window: what a race hit is counted against."""
        return self.departures - self.live_departures

    @property
    def passed(self) -> bool:
        """The test passed at its first attempt."""
        return self.outcome in ('passed', 'xpassed') and not self.reruns

    @property
    def result(self) -> Outcome:
        """What the storm came to: the test's outcome read against what its server had to show."""
        if self.outcome in BY_TEST_OUTCOME:
            return BY_TEST_OUTCOME[self.outcome]
        if not self.passed:
            only_4304 = self.failures and all(finding.code is Code.ISSUE_4304 for finding in self.failures)
            return Outcome.BUG_DETECTED if only_4304 and self.bug_present else Outcome.FAIL
        if self.known_bugs or self.expects_4304:
            return Outcome.BUG_DETECTED
        if self.failures or self.accepted:  # a failing verdict the test inspected says more than an accepted bug
            return Outcome.SHOWN_ON_PURPOSE if self.failures else Outcome.KNOWN_BUG_ACCEPTED
        if self.race_hits is None:
            return Outcome.PASS_NO_RACE
        return Outcome.PASS if self.race_hits else Outcome.PASS_RACE_NOT_HIT

    @property
    def verdict(self) -> str:
        """The result in words, naming the known bugs a detection showed, or those accepted: 'bug detected
        (#5803)', 'known bug accepted (#5803)'."""
        result = self.result
        keys: list[str] = []
        if result is Outcome.BUG_DETECTED and self.passed:
            keys = self.known_bugs
        elif result is Outcome.KNOWN_BUG_ACCEPTED:
            keys = list(dict.fromkeys(finding.bug for finding in self.accepted))
        return f'{result.value} ({", ".join(keys)})' if keys else result.value

    @property
    def detected_4304(self) -> bool:
        """#4304 showed where the server had to show it: the storm failed on it alone, or expected it and passed."""
        return self.result is Outcome.BUG_DETECTED and (
            self.expects_4304 or any(finding.code is Code.ISSUE_4304 for finding in self.failures)
        )
