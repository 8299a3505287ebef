"""The verdict's vocabulary: what a storm found, as stable codes, and what a storm came to, as a closed set.

The verdict writes a sentence beside each code for people; code reads the code, never the sentence. A code's
value is what the run report stores, so a value never changes once written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Code(str, Enum):
    """What a storm found. The verdict writes the first group; the check that reads a verdict against what the
    server had to show writes the second."""

    ISSUE_4304 = 'issue-4304'  # KeyError(s) in handle_disconnect
    LOST_GUARD = 'lost-guard'  # NiceGUI should carry its own #4304 guard and has none
    OTHER_ERRORS = 'other-errors'  # server errors other than #4304
    PENDING_TASK_DESTROYED = 'pending-task-destroyed'  # asyncio destroyed tasks still pending (logged as errors)
    NO_RACE = 'no-race'  # a storm meant to hit the race never did
    LEAKED_CLIENTS = 'leaked-clients'  # clients or socket mappings still there after the reconnect timeout
    OUTLIVED_PRUNE = 'outlived-prune'  # clients of the storm that NiceGUI's prune left
    CONNECTED_AFTER_PRUNE = 'connected-after-prune'  # the same, of which some look connected without a socket
    TASKS_AFTER_PRUNE = 'tasks-after-prune'  # asyncio tasks left after the prune, other than the two below
    WAITS_AFTER_PRUNE = 'waits-after-prune'  # Event.wait tasks left after the prune
    TIMERS_AFTER_PRUNE = 'timers-after-prune'  # Timer._run_in_loop tasks left after the prune
    DELETED_LIVE = 'deleted-live'  # clients deleted while their page still had a socket
    DROPPED_EVENTS = 'dropped-events'  # events of the browser that NiceGUI dropped before the handshake
    UNHEARD_CLICKS = 'unheard-clicks'  # clicks on pages that then finished their handshake, never heard by the server
    DEAD_PAGE = 'dead-page'  # the last page does not work
    CONSOLE_SEVERE = 'console-severe'  # SEVERE browser console messages
    MISSED_STEPS = 'missed-steps'  # steps the storm could not take
    LOST_RECONNECT = 'lost-reconnect'  # pages that did not come through the drop of their connection
    SELF_RELOAD = 'self-reload'  # pages that reloaded themselves, NiceGUI saying why
    ERROR_PAGES = 'error-pages'  # page loads answered with an error status
    KNOWN_BUG_MISSED = 'known-bug-missed'  # a known bug of the release that the storm had to show did not show
    ISSUE_4304_MISSED = 'issue-4304-missed'  # the server ran an unguarded handler on purpose and no #4304 showed
    UNRECORDED = 'unrecorded'  # read from a run report written before findings had codes: its words only


@dataclass(frozen=True)
class Finding:
    """One thing a storm found: its code for code, its sentence for people, and how many where that is a figure
    (the verdict's count of what the sentence counts)."""

    code: Code
    text: str
    count: int | None = None
    bug: str = ''  # the key of the known bug of the server's NiceGUI release that this finding is, if any

    def __str__(self) -> str:
        return self.text

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | str) -> Finding:
        """From the JSON form; a plain sentence is an older run report's failure, without a code."""
        if isinstance(data, str):
            return cls(Code.UNRECORDED, data)
        count = data.get('count')
        return cls(
            Code(data['code']), str(data['text']), None if count is None else int(count), str(data.get('bug', ''))
        )


class Outcome(str, Enum):
    """What a storm came to, read against what its server had to show; the values are the words reports print."""

    PASS = 'pass'
    PASS_RACE_NOT_HIT = 'pass (race not hit)'
    PASS_NO_RACE = 'pass (no race here)'  # this NiceGUI keeps no per-socket mapping, so there is no race
    BUG_DETECTED = 'bug detected'  # a bug the server had to show showed: the detector's negative control
    SHOWN_ON_PURPOSE = 'failure shown on purpose'  # the test inspected a failing verdict, as its point
    KNOWN_FINDING = 'known finding (xfail)'
    KNOWN_BUG_ACCEPTED = 'known bug accepted'  # only findings of known bugs the team's allow-list accepts showed
    SKIPPED = 'skipped'  # the test ran the storm, then found it could not apply (the negative control): not enforced
    FAIL = 'FAIL'

    @property
    def passing(self) -> bool:
        return self in (Outcome.PASS, Outcome.PASS_RACE_NOT_HIT, Outcome.PASS_NO_RACE)

    @property
    def on_purpose(self) -> bool:
        """A detector firing as the storm meant it to: the suite doing its job, not a failure."""
        return self in (Outcome.BUG_DETECTED, Outcome.SHOWN_ON_PURPOSE)
