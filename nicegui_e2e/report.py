"""The compatibility report: one table from the JSON run reports of a matrix, as Markdown and as HTML.

Its exit status is the matrix's verdict: a cell without the fix must fail its storms naming #4304 (the
report calls that "bug detected"), so tox is told to ignore those cells' exit codes, and this report is what
fails the matrix when any storm anywhere is a real FAIL.

``python -m nicegui_e2e.report reports/cells --out reports`` reads every ``*.json`` that the plugin's
``--nicegui-e2e-report`` option wrote (tox sets it per environment) and writes ``compatibility.md`` and a
self-contained ``compatibility.html`` (no scripts, no fonts, no network) beside them.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from html import escape
from pathlib import Path

from packaging.version import InvalidVersion, Version

from . import corpus
from .findings import Outcome
from .summary import StormSummary

COLUMNS = ('environment', 'NiceGUI', 'Starlette', 'fix', 'test', 'storm', 'handshake', 'navigations', 'race hits',
           '#4304', 'other errors (allowed)', 'leaked', 'verdict')


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


def rows(cells: list[Cell]) -> list[tuple[str, ...]]:
    table: list[tuple[str, ...]] = []
    for cell in cells:
        for storm in cell.storms:
            other = [f'{name} x{count}{" (allowed)" if allowed else ""}'
                     for name, (count, allowed) in sorted(storm.signatures.items()) if '#4304' not in name]
            table.append((
                cell.env, storm.nicegui, cell.versions.get('starlette', '?'), storm.mode,
                storm.nodeid.rsplit('::', 1)[-1], f'{storm.scenario} @ {storm.cadence}',
                storm.handshake or 'no connect seen', str(storm.navigations),
                'n/a' if storm.race_hits is None else str(storm.race_hits), str(storm.keyerrors),
                '; '.join(other) or '0', str(storm.leaked), storm.verdict))
    return table


SUMMARY_COLUMNS = ('environment', 'NiceGUI', 'Starlette', 'storms', 'pass', 'detector shown', 'known finding',
                   'FAIL', 'race hits', '#4304', 'leaked')


def summary(cells: list[Cell]) -> list[tuple[str, ...]]:
    """One row per environment, for the README: how its storms came out, and the sums that matter."""
    out: list[tuple[str, ...]] = []
    for cell in cells:
        results = [storm.result for storm in cell.storms]
        hits = [storm.race_hits for storm in cell.storms if storm.race_hits is not None]
        out.append((cell.env, cell.nicegui, cell.versions.get('starlette', '?'),
                    str(len(results)), str(sum(result.passing for result in results)),
                    str(sum(result.on_purpose for result in results)), str(results.count(Outcome.KNOWN_FINDING)),
                    str(results.count(Outcome.FAIL)), str(sum(hits)) if hits else 'n/a',
                    str(sum(storm.keyerrors for storm in cell.storms)),
                    str(sum(storm.leaked for storm in cell.storms))))
    return out


def test_name(storm: StormSummary) -> str:
    """A storm's column in the grid: its test, without the module (a test with several storms repeats)."""
    return storm.nodeid.rsplit('::', 1)[-1] or f'{storm.scenario} @ {storm.cadence}'


SYMBOLS = {Outcome.FAIL: '✗', Outcome.BUG_DETECTED: '●', Outcome.SHOWN_ON_PURPOSE: '●', Outcome.KNOWN_FINDING: '◐',
           Outcome.PASS_NO_RACE: '○', Outcome.PASS_RACE_NOT_HIT: '○', Outcome.PASS: '✓'}
"""How a result looks in the grid; the colour says the same for those who see colour."""


def grid(cells: list[Cell]) -> tuple[list[str], list[tuple[Cell, list[StormSummary | None]]]]:
    """Releases down, tests across: (the tests, [(the environment, its storm per test or None)])."""
    tests = list(dict.fromkeys(test_name(storm) for cell in cells for storm in cell.storms))
    out = []
    for cell in cells:
        by_test = {test_name(storm): storm for storm in cell.storms}  # a test of several storms shows its last
        out.append((cell, [by_test.get(test) for test in tests]))
    return tests, out


def corpus_rows(cells: list[Cell]) -> list[tuple[str, ...]]:
    """Each known bug with what its storm showed in every environment of the matrix that ran it."""
    table: list[tuple[str, ...]] = []
    for bug in corpus.KNOWN:
        seen = [f'{cell.env} ({storm.nicegui}): {storm.verdict}' for cell in cells for storm in cell.storms
                if test_name(storm) == bug.test]
        table.append((bug.key, bug.what, bug.releases, bug.first_fixed, bug.test,
                      '; '.join(seen) or 'not run in this matrix'))
    return table


CORPUS_COLUMNS = ('bug', 'what goes wrong', 'bad', 'fixed in', 'caught by', 'outcomes in this matrix')


def markdown(table: list[tuple[str, ...]], columns: tuple[str, ...] = COLUMNS) -> str:
    lines = ['| ' + ' | '.join(columns) + ' |', '|' + '---|' * len(columns)]
    lines += ['| ' + ' | '.join(cell.replace('|', '\\|') for cell in row) + ' |' for row in table]
    return '\n'.join(lines) + '\n'


def colour(result: Outcome) -> str:
    if result is Outcome.FAIL:
        return '#f8d0d0'
    if result is Outcome.KNOWN_FINDING:
        return '#e6e0f8'
    if result.on_purpose:
        return '#fde9c4'
    return '#dff3df' if result is Outcome.PASS else '#eeeeee'


def html_grid(cells: list[Cell]) -> str:
    """The grid a reader takes in at a glance: one coloured cell per release and test, details on hover."""
    tests, lines = grid(cells)
    head = ''.join(f'<th class="t"><div>{escape(test)}</div></th>' for test in tests)
    body = []
    for cell, storms in lines:
        boxes = []
        for storm in storms:
            if storm is None:
                boxes.append('<td class="g" title="not run here">·</td>')
                continue
            detail = '\n'.join([storm.verdict, storm.line, *map(str, [*storm.shown, *storm.failures])])
            boxes.append(f'<td class="g" style="background:{colour(storm.result)}" title="{escape(detail)}">'
                         f'{SYMBOLS[storm.result]}</td>')
        body.append(f'<tr><th>{escape(cell.env)}</th><td>{escape(cell.nicegui)}</td>{"".join(boxes)}</tr>')
    return (f'<table class="grid"><thead><tr><th>environment</th><th>NiceGUI</th>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def html_table(table: list[tuple[str, ...]], columns: tuple[str, ...]) -> str:
    head = ''.join(f'<th>{escape(c)}</th>' for c in columns)
    body = ''.join('<tr>' + ''.join(f'<td>{escape(cell)}</td>' for cell in row) + '</tr>' for row in table)
    return f'<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def html(table: list[tuple[str, ...]], cells: list[Cell]) -> str:
    body = []
    for row, storm in zip(table, (storm for cell in cells for storm in cell.storms)):
        body.append('<tr>' + ''.join(f'<td>{escape(cell)}</td>' for cell in row[:-1])
                    + f'<td style="background:{colour(storm.result)}"><b>{escape(row[-1])}</b></td></tr>')
    return f'''<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>NiceGUI connection lifecycle: compatibility</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; font-size: 13px; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; }}
th {{ background: #f4f4f4; }}
table.grid td.g {{ text-align: center; width: 1.6em; font-size: 15px; }}
table.grid th.t {{ height: 14em; vertical-align: bottom; padding: 2px; }}
table.grid th.t div {{ writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; }}
</style></head><body>
<h1>NiceGUI connection lifecycle under navigation storms</h1>
<p>Releases down, tests across; hover a cell for the storm's figures and failures.
✓ pass · ○ pass without a race to hit · ● the detector fired as it must (a known bug of this release, or
the negative control) · ◐ a known finding (xfail) · ✗ FAIL · <code>·</code> not run in this environment.</p>
{html_grid(cells)}
<h2>Known bugs</h2>
{html_table(corpus_rows(cells), CORPUS_COLUMNS)}
<h2>Every storm</h2>
<details><summary>one row per storm in each environment</summary>
<p>Each row is one storm in one environment of the matrix. <b>bug detected</b>: the server ran an unguarded
disconnect handler and the suite saw #4304, as it must. <b>pass</b>: race hit, no #4304, no other error,
no leaked client, the last page still worked. <b>known finding</b>: a storm the suite expects to fail
(<code>xfail</code>) because of a problem it reports, not #4304.</p>
<table><thead><tr>{''.join(f'<th>{escape(c)}</th>' for c in COLUMNS)}</tr></thead>
<tbody>
{chr(10).join(body)}
</tbody></table></details></body></html>
'''


class ReportError(ValueError):
    """A run report cannot be read; the message is the one line the user sees."""


def load(folder: Path) -> list[Cell]:
    cells = []
    for path in sorted(folder.glob('*.json')):
        try:
            data = json.loads(path.read_text(encoding='utf-8'))
            cells.append(Cell(path.stem, data.get('versions', {}),
                              [StormSummary.from_data(s) for s in data['storms']]))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ReportError(f'{path}: not a run report this version reads ({type(error).__name__}: {error}); '
                              'run its environment again') from None
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
    parser.add_argument('--expect-detection', action='append', default=[], metavar='ENV',
                        help='an environment that runs without the fix: it must be there and detect #4304 '
                             '(its exit code was ignored, so this is what holds it to its purpose)')
    args = parser.parse_args(argv)
    try:
        cells = load(args.cells) if args.cells.is_dir() else []
    except ReportError as error:
        print(f'nicegui-e2e report: {error}', file=sys.stderr)
        return 2
    if not cells:
        print(f'nicegui-e2e report: no run reports in {args.cells}', file=sys.stderr)
        return 2
    table = rows(cells)
    args.out.mkdir(parents=True, exist_ok=True)
    text = markdown(summary(cells), SUMMARY_COLUMNS) + '\n' + markdown(corpus_rows(cells), CORPUS_COLUMNS) + '\n' \
        + markdown(table)
    (args.out / 'compatibility.md').write_text(text, encoding='utf-8')
    (args.out / 'compatibility.html').write_text(html(table, cells), encoding='utf-8')
    print(text, end='')
    print(f'written: {args.out / "compatibility.md"}, {args.out / "compatibility.html"}')
    failed = sum(storm.result is Outcome.FAIL for cell in cells for storm in cell.storms)
    problems = [f'{failed} storm(s) FAIL'] if failed else []
    detected = {cell.env for cell in cells if any(storm.detected_4304 for storm in cell.storms)}
    problems += [f'{env} detected no #4304' for env in args.expect_detection if env not in detected]
    for problem in problems:
        print(f'nicegui-e2e report: {problem}', file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
