"""What a run reports: every storm's record gathered from the test reports, the terminal summary, the run report
that the matrix report and the flake check read, and a failing exit where a rerun hid a race.

A plugin object of its own, registered by :mod:`nicegui_e2e.plugin`; an xdist worker's records reach the
controller inside the test reports' user properties, so the controller's collector sees every storm.
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from .report import RUN_REPORT_FORMAT
from .summary import PROPERTY, StormSummary

SKIPPED = 'nicegui-e2e: '
"""What the reason of a storm test the plugin skips begins with, in pytest's own list of skips (``-rs``)."""
VERSIONED_PACKAGES = ('nicegui', 'starlette', 'fastapi', 'uvicorn', 'python-socketio', 'python-engineio')


def versions() -> dict[str, str]:
    """The installed versions that decide what a storm meets."""
    found = {}
    for package in VERSIONED_PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return found


class StormCollector:
    """Gathers every storm's record from the test reports (an xdist worker's arrive at the controller too)."""

    def __init__(self, report: Path | None, seed: int) -> None:
        self.report = report
        self.seed = seed
        self.summaries: list[StormSummary] = []
        self.failed_attempts: Counter[str] = Counter()  # nodeid -> earlier attempts whose storms failed
        self.skipped: dict[str, str] = {}  # nodeid -> why a storm test was skipped (it cannot apply, as configured)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """A rerun attempt (pytest-rerunfailures) is counted where its storms failed; the attempt that
        stands carries the count in its records, so junit says so too. A storm test skipped keeps its reason."""
        if report.skipped and 'storm' in report.keywords and isinstance(report.longrepr, tuple):
            if not hasattr(report, 'wasxfail'):
                self.skipped[report.nodeid] = str(report.longrepr[2]).removeprefix('Skipped: ').removeprefix(SKIPPED)
        if report.when != 'call':
            return
        records = [StormSummary.from_json(str(value)) for name, value in report.user_properties if name == PROPERTY]
        outcome = _outcome(report)
        if outcome == 'rerun':
            self.failed_attempts[report.nodeid] += any(record.failures for record in records)
        else:
            self.summaries += [record.at(report.nodeid, outcome) for record in records]

    @property
    def hidden_by_rerun(self) -> list[StormSummary]:
        """Storms that passed only on a rerun: a race that shows once is a bug, so the run still fails."""
        return [s for s in self.summaries if s.reruns and s.outcome in ('passed', 'xpassed')]

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        controller = not hasattr(session.config, 'workerinput')
        if controller and self.hidden_by_rerun and exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Quiet when every storm came out as it must: a line of totals and, where any, one of allowed incidents.
        A storm that did not prints its block; ``-rA``/``-rP``, ``-rx``, ``-rX`` or ``-v`` ask for the others'.
        A line that many of the blocks would repeat (a note, the release and its fix) is printed once, and the
        blocks name it by its number. Each storm test skipped adds a line saying why (``-rs`` lists them as
        pytest does instead)."""
        if self.summaries:
            self._storms(terminalreporter)
        if not terminalreporter.hasopt('s'):  # -rs: pytest lists them itself
            for nodeid, why in self.skipped.items():
                terminalreporter.write_line(f'nicegui-e2e: skipped {nodeid.rpartition("::")[2]}: {why}')

    def _storms(self, terminalreporter: Any) -> None:
        used = {signature for s in self.summaries for signature in s.allowed_by}
        stale = sorted({signature for s in self.summaries for signature in s.live_entries} - used)
        if self.report is not None:
            self._write_run_report(self.report, stale)
        asked = [s for s in self.summaries if _unexpected(s) or _asked_for(s, terminalreporter)]
        if asked:
            terminalreporter.section('nicegui-e2e storms')
            for line in blocks(asked):
                terminalreporter.write_line(line)
        yours = sorted({signature for s in self.summaries for signature in s.user_entries} - used)
        for line in totals(self.summaries, yours):
            terminalreporter.write_line(line)

    def _write_run_report(self, path: Path, stale: list[str]) -> None:
        """One JSON file per run: what the matrix report turns into a table, and the flake check counts."""
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            'format': RUN_REPORT_FORMAT,
            'versions': versions(),
            'python': sys.version.split()[0],
            'seed': self.seed,
            'stale_allow_entries': stale,
            'storms': [json.loads(s.to_json()) for s in self.summaries],
        }
        path.write_text(json.dumps(data, indent=1), encoding='utf-8')


WIDTH = 120
"""Prose in the summary wraps here; a storm's figures, a node id or a signature stay on their line."""
INDENT = ' ' * 8
REPORT_CHARS = {'passed': 'pP', 'xfailed': 'x', 'xpassed': 'X', 'skipped': 's'}
"""The ``-r`` characters that ask for a storm's block, by its test's outcome (``-rA`` stands for all of them)."""


def _unexpected(s: StormSummary) -> bool:
    """A storm whose test failed, or passed only on a rerun: its block is printed whatever was asked."""
    return s.outcome in ('failed', 'error') or bool(s.reruns)


def _asked_for(s: StormSummary, terminalreporter: Any) -> bool:
    if terminalreporter.config.getoption('verbose') > 0:
        return True
    return any(terminalreporter.hasopt(char) for char in REPORT_CHARS.get(s.outcome, ''))


def _wrapped(text: str, indent: str = INDENT, later: str = '') -> list[str]:
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=indent,
        subsequent_indent=later or indent + '  ',
        break_long_words=False,
        break_on_hyphens=False,
    )


def _context(s: StormSummary) -> list[str]:
    """The lines of a block that say what the figures were read against, rather than what they are."""
    return [f'NiceGUI {s.nicegui}, fix: {s.fix}', *(f'note: {note}' for note in s.notes)]


def blocks(summaries: list[StormSummary]) -> list[str]:
    """Every storm's block; a context line that more than one block has comes first, once, numbered."""
    counts = Counter(line for s in summaries for line in dict.fromkeys(_context(s)))
    shared = {line: n for n, line in enumerate((line for line, count in counts.items() if count > 1), start=1)}
    lines = [
        wrapped
        for line, n in shared.items()
        for wrapped in _wrapped(f'[{n}] ({_storms(counts[line])}) {line}', '', ' ' * (len(str(n)) + 3))
    ]
    for s in summaries:
        release, *notes = _context(s)
        refs = ' '.join(f'[{shared[line]}]' for line in dict.fromkeys([release, *notes]) if line in shared)
        lines.append(f'{s.outcome.upper():7} {s.nodeid}  [{s.verdict}]{"  " + refs if refs else ""}')
        figures = [
            s.line,
            *(
                f'{count:4d} x {signature}{"  (allowed)" if allowed else ""}'
                for signature, (count, allowed) in sorted(s.signatures.items())
            ),
        ]
        words = [
            *(f'failed: {failure}' for failure in s.failures),
            *(f'known bug shown: {shown}' for shown in s.shown),
            *(f'accepted: {accepted}' for accepted in s.accepted),
            *(f'beside the control: {beside}' for beside in s.beside),
            *(note for note in notes if note not in shared),
        ]
        if s.reruns:
            words.append(f'failed in {s.reruns} earlier attempt(s): a race that shows once is a bug, the run fails')
        lines += [
            *([] if release in shared else _wrapped(release)),
            *(INDENT + line for line in figures),
            *(wrapped for line in words for wrapped in _wrapped(line)),
        ]
    return lines


def totals(summaries: list[StormSummary], stale: list[str]) -> list[str]:
    """The run in a line (a storm whose only findings are of known bugs the allow-list accepts is counted as
    such); a line for the incidents the allow-list let pass, one for the user's own allow-list entries that
    matched nothing, and one for the known bugs it accepts that the release does not have, where there are any."""
    wrong = [s for s in summaries if _unexpected(s)]
    verdicts = Counter(s.verdict for s in [*wrong, *(s for s in summaries if not _unexpected(s))])  # wrong first
    hit = sum(1 for s in summaries if s.race_hits)
    how = f'{len(wrong)} not as expected' if wrong else 'all as expected'
    lines = [
        _fitting(
            f'nicegui-e2e: {_storms(len(summaries))}, race hit in {hit}, {how}: ',
            [f'{count} {verdict}' for verdict, count in verdicts.items()],
        )
    ]
    allowed: Counter[str] = Counter()
    for s in summaries:
        allowed.update({signature: count for signature, (count, passed) in s.signatures.items() if passed})
    if allowed:
        lines.append(
            _fitting(
                'nicegui-e2e: allowed by the allow-list: ',
                [f'{count} x {signature}' for signature, count in allowed.most_common()],
            )
        )
    if stale:
        lines.append(_fitting('nicegui-e2e: entries of your allow-list that matched nothing in this run: ', stale))
    absent = {bug: s.nicegui for s in summaries for bug in s.stale_bugs}
    if absent:
        lines.append(
            _fitting(
                f'nicegui-e2e: known bugs your allow-list accepts that NiceGUI '
                f'{", ".join(sorted(set(absent.values())))} does not have: ',
                sorted(absent),
            )
        )
    return lines


def _storms(count: int) -> str:
    return f'{count} storm{"" if count == 1 else "s"}'


def _fitting(start: str, items: list[str]) -> str:
    """``start`` and as many of ``items`` as fit in a line; the rest counted (the run report and ``-rA`` list
    them all). The first item is always there, however long."""
    for shown in range(len(items), 0, -1):
        rest = f', and {len(items) - shown} more' if shown < len(items) else ''
        line = start + ', '.join(items[:shown]) + rest
        if len(line) <= WIDTH or shown == 1:
            return line
    return start


def _outcome(report: pytest.TestReport) -> str:
    if hasattr(report, 'wasxfail'):
        return 'xfailed' if report.skipped else 'xpassed'
    return report.outcome
