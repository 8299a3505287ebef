"""What a run reports: every storm's record gathered from the test reports, the terminal summary, the run report
that the matrix report and the flake check read, and a failing exit where a rerun hid a race.

A plugin object of its own, registered by :mod:`nicegui_e2e.plugin`; an xdist worker's records reach the
controller inside the test reports' user properties, so the controller's collector sees every storm.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from .summary import PROPERTY, StormSummary

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

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """A rerun attempt (pytest-rerunfailures) is counted where its storms failed; the attempt that
        stands carries the count in its records, so junit says so too."""
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
        if not self.summaries:
            return
        used = {signature for s in self.summaries for signature in s.allowed_by}
        stale = sorted({signature for s in self.summaries for signature in s.live_entries} - used)
        if self.report is not None:
            self._write_run_report(self.report, stale)
        write = terminalreporter.write_line
        terminalreporter.section('nicegui-e2e storms')
        for s in self.summaries:
            write(f'{s.outcome.upper():7} {s.nodeid}  [{s.verdict}]')
            write(f'        NiceGUI {s.nicegui}, fix: {s.fix}')
            write(f'        {s.line}')
            for signature, (count, allowed) in sorted(s.signatures.items()):
                write(f'        {count:4d} x {signature}{"  (allowed)" if allowed else ""}')
            for failure in s.failures:
                write(f'        failed: {failure}')
            for shown in s.shown:
                write(f'        known bug shown: {shown}')
            for note in s.notes:
                write(f'        note: {note}')
            if s.reruns:
                write(f'        failed in {s.reruns} earlier attempt(s): a race that shows once is a bug, '
                      'the run fails')
        for signature in stale:
            write(f'stale allow-list entry (matched nothing in this run): {signature}')

    def _write_run_report(self, path: Path, stale: list[str]) -> None:
        """One JSON file per run: what the matrix report turns into a table, and the flake check counts."""
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {'versions': versions(), 'python': sys.version.split()[0], 'seed': self.seed,
                'stale_allow_entries': stale, 'storms': [json.loads(s.to_json()) for s in self.summaries]}
        path.write_text(json.dumps(data, indent=1), encoding='utf-8')


def _outcome(report: pytest.TestReport) -> str:
    if hasattr(report, 'wasxfail'):
        return 'xfailed' if report.skipped else 'xpassed'
    return report.outcome
