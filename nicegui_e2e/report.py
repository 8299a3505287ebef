"""The compatibility report: from the JSON run reports of a matrix, a page per question, as Markdown and as HTML.

It opens with releases down and known bugs across: each cell says whether the bug showed on that release and
whether the corpus (:mod:`nicegui_e2e.corpus`) expected it there, and each release ends with one verdict ("no
known bug", "2 known bugs: #5803, stale disconnect", "FAIL: ..."). Below, apart and neutral, the suite's own
checks: the storms that fail on purpose to show that the detectors fire. All of it is read from the records'
codes and outcomes (:mod:`nicegui_e2e.findings`), never from their sentences.

Its exit status is the matrix's verdict: a cell without the fix must fail its storms naming #4304, so tox is
told to ignore those cells' exit codes, and this report is what fails the matrix where any storm anywhere is a
FAIL, or a known bug did not show where the corpus says it must, or showed where the corpus says it cannot.

``python -m nicegui_e2e.report reports/cells --out reports`` reads every ``*.json`` that the plugin's
``--nicegui-e2e-report`` option wrote (tox sets it per environment) and writes ``compatibility.md`` and a
self-contained ``compatibility.html`` (no scripts, no fonts, no network) beside them.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from enum import Enum
from html import escape
from pathlib import Path

from packaging.version import InvalidVersion, Version

from . import corpus
from .findings import Code, Outcome
from .summary import StormSummary

RUN_REPORT_FORMAT = 2
"""The version of the run report's JSON form (its ``format`` key), which the collector writes and this reads.
1 (no key) held failures as sentences; 2 holds them as findings with codes."""


@dataclass(frozen=True)
class Cell:
    """One environment of the matrix: its run report, read back into typed records."""

    env: str
    versions: dict[str, str]
    storms: list[StormSummary]

    @property
    def nicegui(self) -> str:
        """The NiceGUI release its storms ran on, as they recorded it ('?' for a cell without storms)."""
        return self.storms[0].nicegui if self.storms else '?'


def test_name(storm: StormSummary) -> str:
    """A storm's test, without its module: 'test_x' or 'test_x[param]'."""
    return storm.nodeid.rsplit('::', 1)[-1] or f'{storm.scenario} @ {storm.cadence}'


def function(storm: StormSummary) -> str:
    """A storm's test function, without its parameters: what the corpus names a bug's storm by."""
    return test_name(storm).split('[', 1)[0]


# ---- known bugs across -------------------------------------------------------------------------------------------

BUGS = tuple(
    sorted((corpus.ISSUE_4304, *corpus.KNOWN), key=lambda bug: (not bug.first_fixed, Version(bug.first_fixed or '0')))
)
"""The columns, in the order of their fixes, so that the bugs of a release read as a staircase down the rows;
those no release fixes yet last."""

SHORT = {'late handshake': 'late hs', 'stale disconnect': 'stale', 'timed-out wait': 'wait'}
"""Column heads where a bug's key is longer than a column (the legend gives each in full)."""

GUARDED = ('applied', 'restored')
"""Guards that do not leave NiceGUI's disconnect handler as the release shipped it: the suite's own, or the
pre-2.11.1 lookup put back on purpose."""


class Mark(str, Enum):
    """What one release says of one known bug; the values are the words the table prints."""

    SHOWN = 'shown'
    MISSED = 'expected, not shown'
    UNEXPECTED = 'not expected, shown'
    NOT_RUN = 'expected, not run'
    GUARDED = 'expected, guarded'
    CLEAR = ''

    @property
    def failing(self) -> bool:
        return self in (Mark.MISSED, Mark.UNEXPECTED)


def head(bug: corpus.KnownBug) -> str:
    return SHORT.get(bug.key, bug.key)


def _as_shipped(storm: StormSummary) -> bool:
    """The storm's server ran NiceGUI's disconnect handler as the release shipped it."""
    return storm.guard not in GUARDED


def _shows_4304(storm: StormSummary) -> bool:
    return storm.detected_4304 or any(finding.code is Code.ISSUE_4304 for finding in storm.failures)


def mark(cell: Cell, bug: corpus.KnownBug) -> Mark:
    """Whether ``bug`` showed in ``cell`` and whether the corpus expected it there. A bug shows through the codes
    the corpus names for it; it is tested where the storm made for it ran, and #4304 where a storm ran
    NiceGUI's handler as shipped (a storm that restores the bug on purpose is the suite's own check)."""
    expected = cell.nicegui != '?' and bug in corpus.known_bugs_of(cell.nicegui)
    if bug is corpus.ISSUE_4304:
        storms = [storm for storm in cell.storms if _as_shipped(storm)]
        shown = any(map(_shows_4304, storms))
        tested, untested = bool(storms), Mark.GUARDED if cell.storms else Mark.NOT_RUN
    else:
        own = [storm for storm in cell.storms if function(storm) == bug.test]
        findings = [
            finding for storm in (cell.storms if expected else own) for finding in (*storm.shown, *storm.failures)
        ]
        shown = any(map(bug.shown_by, findings))
        tested, untested = bool(own), Mark.NOT_RUN
    if shown:
        return Mark.SHOWN if expected else Mark.UNEXPECTED
    if not expected:
        return Mark.CLEAR
    return Mark.MISSED if tested else untested


def failed_tests(cell: Cell) -> list[str]:
    return list(dict.fromkeys(test_name(storm) for storm in cell.storms if storm.result is Outcome.FAIL))


@dataclass(frozen=True)
class Verdict:
    """A release in one line: what went wrong, else the known bugs it showed and those it could not show here."""

    wrong: list[str]  # a known bug missed or shown against the corpus, storms that FAIL
    shown: list[str]  # keys of the known bugs that showed as the corpus expects
    untested: dict[Mark, list[str]]  # keys of known bugs of the release that this cell could not show, by why

    @property
    def failing(self) -> bool:
        return bool(self.wrong)

    @property
    def known(self) -> int:
        """The known bugs of the release, as the corpus has them, shown here or not."""
        return len(self.shown) + sum(map(len, self.untested.values()))

    def __str__(self) -> str:
        if self.wrong:
            return 'FAIL: ' + '; '.join(self.wrong)
        if not self.known:
            return 'no known bug'
        count = f'{self.known} known bug{"s" if self.known > 1 else ""}'
        return '; '.join(
            [
                f'{count}: {", ".join(self.shown)}' if self.shown else count,
                *(f'{UNTESTED[found]}: {", ".join(keys)}' for found, keys in self.untested.items()),
            ]
        )


UNTESTED = {Mark.NOT_RUN: 'not run here', Mark.GUARDED: "behind the suite's guard here"}


def verdict(cell: Cell) -> Verdict:
    """The release's verdict: 'no known bug', '2 known bugs: #5803, stale disconnect', or 'FAIL: ...'."""
    if not cell.storms:
        return Verdict(['no storm ran'], [], {})
    marks = {bug: mark(cell, bug) for bug in BUGS}
    wrong = [f'{bug.key} {found.value}' for bug, found in marks.items() if found.failing]
    failed = failed_tests(cell)
    wrong += [f'{len(failed)} storm(s) FAIL: {", ".join(failed)}'] if failed else []
    untested = {found: [bug.key for bug, it in marks.items() if it is found] for found in (Mark.NOT_RUN, Mark.GUARDED)}
    return Verdict(
        wrong,
        [bug.key for bug, found in marks.items() if found is Mark.SHOWN],
        {found: keys for found, keys in untested.items() if keys},
    )


def bug_rows(cells: list[Cell]) -> list[tuple[str, ...]]:
    """Releases down, known bugs across, a verdict at the end of each."""
    return [(cell.nicegui, cell.env, *(mark(cell, bug).value for bug in BUGS), str(verdict(cell))) for cell in cells]


BUG_COLUMNS = ('NiceGUI', 'environment', *(head(bug) for bug in BUGS), 'verdict')


def legend_rows() -> list[tuple[str, ...]]:
    return [(head(bug), bug.key, bug.releases, bug.fixed_in, bug.test, bug.what) for bug in BUGS]


LEGEND_COLUMNS = ('column', 'bug', 'releases', 'fixed in', 'storm made for it', 'what goes wrong')


# ---- the suite's own checks --------------------------------------------------------------------------------------

CHECKS = {
    'test_detector_fires_without_the_fix': 'negative control',
    'test_on_fails_a_release_that_lost_its_guard': 'lost guard',
    'test_an_error_page_is_a_finding_never_a_race_hit': 'error page',
    'test_every_keyerror_of_a_crowd_is_attributed_to_a_browser_and_navigation': 'crowd attribution',
}
"""Short heads for the suite's own checks that this repository's suite has; another check heads by its test."""


def on_purpose(storm: StormSummary) -> bool:
    """A storm that failed on purpose, to show a detector firing: the suite's own check, not a release's bug."""
    return storm.expects_4304 or storm.result is Outcome.SHOWN_ON_PURPOSE


def checks(cells: list[Cell]) -> list[str]:
    """The tests of the suite's own checks: those whose storm failed on purpose in some cell."""
    return list(dict.fromkeys(test_name(storm) for cell in cells for storm in cell.storms if on_purpose(storm)))


def check_mark(cell: Cell, test: str) -> str:
    """'fired' as it must, 'FAIL', the outcome where it came to something else, or blank where it did not run."""
    storms = [storm for storm in cell.storms if test_name(storm) == test]
    if any(storm.result is Outcome.FAIL for storm in storms):
        return 'FAIL'
    if storms and all(map(on_purpose, storms)):
        return 'fired'
    return ', '.join(dict.fromkeys(storm.result.value for storm in storms))


def check_rows(cells: list[Cell]) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    tests = checks(cells)
    columns = ('NiceGUI', 'environment', *(CHECKS.get(test.split('[', 1)[0], test) for test in tests))
    table = [(cell.nicegui, cell.env, *(check_mark(cell, test) for test in tests)) for cell in cells]
    return columns, [row for row in table if any(row[2:])]  # a cell that ran none of them has no row


# ---- every storm -------------------------------------------------------------------------------------------------

COLUMNS = (
    'environment',
    'NiceGUI',
    'Starlette',
    'fix',
    'test',
    'storm',
    'handshake',
    'navigations',
    'race hits',
    '#4304',
    'other errors (allowed)',
    'leaked',
    'seconds',
    'verdict',
)


def rows(cells: list[Cell]) -> list[tuple[str, ...]]:
    table: list[tuple[str, ...]] = []
    for cell in cells:
        for storm in cell.storms:
            other = [
                f'{name} x{count}{" (allowed)" if allowed else ""}'
                for name, (count, allowed) in sorted(storm.signatures.items())
                if '#4304' not in name
            ]
            table.append(
                (
                    cell.env,
                    storm.nicegui,
                    cell.versions.get('starlette', '?'),
                    storm.mode,
                    test_name(storm),
                    f'{storm.scenario} @ {storm.cadence}',
                    storm.handshake or 'no connect seen',
                    str(storm.navigations),
                    'n/a' if storm.race_hits is None else str(storm.race_hits),
                    str(storm.keyerrors),
                    '; '.join(other) or '0',
                    str(storm.leaked),
                    f'{storm.seconds:.1f}',
                    storm.verdict,
                )
            )
    return table


def markdown(table: list[tuple[str, ...]], columns: tuple[str, ...]) -> str:
    lines = ['| ' + ' | '.join(columns) + ' |', '|' + '---|' * len(columns)]
    lines += ['| ' + ' | '.join(cell.replace('|', '\\|') for cell in row) + ' |' for row in table]
    return '\n'.join(lines) + '\n'


def document(cells: list[Cell]) -> str:
    """The Markdown: the same tables as the page, in the same order."""
    columns, own = check_rows(cells)
    return '\n'.join(
        [
            '## Known bugs by release',
            '',
            markdown(bug_rows(cells), BUG_COLUMNS),
            LEGEND,
            '',
            markdown(legend_rows(), LEGEND_COLUMNS),
            "## The suite's own checks",
            '',
            CHECKS_TEXT,
            '',
            markdown(own, columns),
            '## Every storm',
            '',
            markdown(rows(cells), COLUMNS),
        ]
    )


LEGEND = (
    '**shown**: the bug showed, as the corpus expects on this release. **expected, not shown** and **not '
    'expected, shown**: FAIL. **expected, not run**: the storm made for it did not run here. **expected, '
    "guarded**: #4304 on a release whose handler had the suite's guard in every storm. Blank: not expected, "
    'not shown.'
)
CHECKS_TEXT = (
    'Storms that fail on purpose, to show that a detector fires: **fired** as it must, **FAIL** where it '
    'did not, blank where the check did not run or does not apply. They say nothing about the release.'
)


# ---- the page ----------------------------------------------------------------------------------------------------

COLOURS = {
    Mark.SHOWN: '#fde9c4',
    Mark.MISSED: '#f4b4b4',
    Mark.UNEXPECTED: '#f4b4b4',
    Mark.NOT_RUN: '#eeeeee',
    Mark.GUARDED: '#eeeeee',
    Mark.CLEAR: '',
}
WORDS = {
    Mark.SHOWN: 'shown',
    Mark.MISSED: 'FAIL: missed',
    Mark.UNEXPECTED: 'FAIL: unexpected',
    Mark.NOT_RUN: 'not run',
    Mark.GUARDED: 'guarded',
    Mark.CLEAR: '',
}
"""A cell's words on the page, shorter than the Markdown's; its title gives them in full."""


def verdict_colour(found: Verdict) -> str:
    if found.failing:
        return '#f4b4b4'
    return '#fde9c4' if found.known else '#dff3df'


def td(text: str, colour: str = '', title: str = '', css: str = '') -> str:
    attributes = (
        (f' class="{css}"' if css else '')
        + (f' style="background:{colour}"' if colour else '')
        + (f' title="{escape(title)}"' if title else '')
    )
    return f'<td{attributes}>{escape(text)}</td>'


def html_bugs(cells: list[Cell]) -> str:
    heads = ''.join(
        f'<th title="{escape(bug.key)}: {escape(bug.releases)}">{escape(head(bug))}'
        f'<br><small>fixed {escape(bug.fixed_in)}</small></th>'
        for bug in BUGS
    )
    body = []
    for cell in cells:
        marks = [(bug, mark(cell, bug)) for bug in BUGS]
        boxes = ''.join(
            td(WORDS[found], COLOURS[found], f'{bug.key}: {found.value or "not expected, not shown"}', 'm')
            for bug, found in marks
        )
        body.append(
            f'<tr><th>{escape(cell.nicegui)}</th>{td(cell.env, css="e")}{boxes}'
            f'{td(str(verdict(cell)), verdict_colour(verdict(cell)), css="v")}</tr>'
        )
    return (
        f'<table class="bugs"><thead><tr><th>NiceGUI</th><th>environment</th>{heads}<th>verdict</th></tr>'
        f'</thead><tbody>{"".join(body)}</tbody></table>'
    )


def html_table(table: list[tuple[str, ...]], columns: tuple[str, ...], css: str = '') -> str:
    head_row = ''.join(f'<th>{escape(c)}</th>' for c in columns)
    body = ''.join('<tr>' + ''.join(td(cell) for cell in row) + '</tr>' for row in table)
    return (
        f'<table{f" class={chr(34)}{css}{chr(34)}" if css else ""}><thead><tr>{head_row}</tr></thead>'
        f'<tbody>{body}</tbody></table>'
    )


def html(cells: list[Cell]) -> str:
    columns, own = check_rows(cells)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>NiceGUI connection lifecycle: compatibility</title>
<style>
body {{ font-family: sans-serif; margin: 0.6em 1em; font-size: 13px; }}
h1 {{ font-size: 17px; margin: 0 0 4px; }} h2 {{ font-size: 15px; margin: 14px 0 4px; }} p {{ margin: 4px 0; }}
table {{ border-collapse: collapse; font-size: 12px; }}
th, td {{ border: 1px solid #ccc; padding: 1px 5px; text-align: left; line-height: 1.35; }}
th {{ background: #f4f4f4; font-weight: 600; }}
table.bugs td.m {{ text-align: center; min-width: 4.6em; white-space: nowrap; }}
table.bugs td.e {{ color: #666; }}
table.bugs th small {{ font-weight: normal; color: #666; }}
table.checks td {{ color: #555; text-align: center; }}
</style></head><body>
<h1>NiceGUI connection lifecycle: known bugs by release</h1>
<p>Releases down, known bugs across (each column says the release that fixes it; hover for details).
<b>shown</b>: the bug showed where the corpus expects it. <b>FAIL</b>: expected and not shown, or shown where
not expected. <b>not run</b>: its storm did not run in this environment. <b>guarded</b>: #4304 behind the
suite's guard. Blank: not expected, not shown.</p>
{html_bugs(cells)}
<h2>The suite's own checks</h2>
<p>{escape(CHECKS_TEXT.replace('**', ''))}</p>
{html_table(own, columns, 'checks')}
<h2>The known bugs</h2>
{html_table(legend_rows(), LEGEND_COLUMNS)}
<h2>Every storm</h2>
<details><summary>one row per storm in each environment</summary>
{html_table(rows(cells), COLUMNS)}
</details></body></html>
"""


# ---- reading and the command -------------------------------------------------------------------------------------


class ReportError(ValueError):
    """A run report cannot be read; the message is the one line the user sees."""


def load(folder: Path) -> list[Cell]:
    cells = []
    for path in sorted(folder.glob('*.json')):
        try:
            data = json.loads(path.read_text(encoding='utf-8'))
            found = data.get('format', 1)
            if found != RUN_REPORT_FORMAT:
                raise ReportError(
                    f'{path}: a run report of format {found}, this report reads format '
                    f'{RUN_REPORT_FORMAT}; run its environment again with this version'
                )
            cells.append(Cell(path.stem, data.get('versions', {}), [StormSummary.from_data(s) for s in data['storms']]))
        except ReportError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ReportError(
                f'{path}: not a run report this version reads ({type(error).__name__}: {error}); '
                'run its environment again'
            ) from None
    return sorted(cells, key=release_order)


def release_order(cell: Cell) -> tuple[bool, Version, str]:
    """Releases down in the order they came out: the environments' names would put 3.13.0 before 3.4.1 and a
    known bug's range would not read as one block. A cell that names no release goes last; cells of one release
    keep their names' order."""
    try:
        return False, Version(cell.nicegui), cell.env
    except InvalidVersion:
        return True, Version('0'), cell.env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('cells', type=Path, help='folder of JSON run reports')
    parser.add_argument('--out', type=Path, default=Path('reports'), help='folder for the report files')
    parser.add_argument(
        '--expect-detection',
        action='append',
        default=[],
        metavar='ENV',
        help='an environment that runs without the fix: it must be there and detect #4304 '
        '(its exit code was ignored, so this is what holds it to its purpose)',
    )
    args = parser.parse_args(argv)
    try:
        cells = load(args.cells) if args.cells.is_dir() else []
    except ReportError as error:
        print(f'nicegui-e2e report: {error}', file=sys.stderr)
        return 2
    if not cells:
        print(f'nicegui-e2e report: no run reports in {args.cells}', file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    text = document(cells)
    (args.out / 'compatibility.md').write_text(text, encoding='utf-8')
    (args.out / 'compatibility.html').write_text(html(cells), encoding='utf-8')
    print(markdown(bug_rows(cells), BUG_COLUMNS), end='')
    print(f'written: {args.out / "compatibility.md"}, {args.out / "compatibility.html"}')
    problems = [f'{cell.env}: {found}' for cell, found in ((cell, verdict(cell)) for cell in cells) if found.failing]
    detected = {cell.env for cell in cells if any(storm.detected_4304 for storm in cell.storms)}
    problems += [f'{env} detected no #4304' for env in args.expect_detection if env not in detected]
    for problem in problems:
        print(f'nicegui-e2e report: {problem}', file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
