"""The compatibility report: one table from the JSON run reports of a matrix, as Markdown and as HTML.

``python -m nicegui_e2e.report reports/cells --out reports`` reads every ``*.json`` that the plugin's
``--report`` option wrote (tox sets it per environment) and writes ``compatibility.md`` and a
self-contained ``compatibility.html`` (no scripts, no fonts, no network) beside them.
"""
from __future__ import annotations

import argparse
import json
import sys
from html import escape
from pathlib import Path
from typing import Any

COLUMNS = ('environment', 'NiceGUI', 'Starlette', 'fix', 'storm', 'navigations', 'race hits', '#4304',
           'other errors (allowed)', 'leaked', 'verdict')


def verdict(storm: dict[str, Any]) -> str:
    """What the cell means, in words: the outcome read against what this server had to show."""
    if storm['outcome'] == 'xfailed':
        return 'known finding (xfail)'
    if storm['outcome'] != 'passed':
        return 'FAIL'
    if storm.get('expects_4304'):
        return 'bug detected'
    if storm.get('race_hits') is None:
        return 'pass (no race here)'
    if not storm.get('race_hits'):
        return 'pass (race not hit)'
    return 'pass'


def rows(cells: dict[str, dict[str, Any]]) -> list[tuple[str, ...]]:
    table = []
    for env, cell in sorted(cells.items()):
        for storm in cell['storms']:
            signatures = storm.get('signatures', {})
            other = [f'{name} x{count}{" (allowed)" if allowed else ""}'
                     for name, (count, allowed) in sorted(signatures.items()) if '#4304' not in name]
            table.append((
                env, str(storm.get('nicegui')), cell['versions'].get('starlette', '?'), str(storm.get('mode')),
                f'{storm.get("scenario")} @ {storm.get("cadence")}', str(storm.get('navigations')),
                'n/a' if storm.get('race_hits') is None else str(storm.get('race_hits')),
                str(storm.get('keyerrors')), '; '.join(other) or '0', str(storm.get('leaked')), verdict(storm)))
    return table


SUMMARY_COLUMNS = ('environment', 'NiceGUI', 'Starlette', 'storms', 'pass', 'bug detected', 'known finding',
                   'FAIL', 'race hits', '#4304', 'leaked')


def summary(table: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """One row per environment, for the README: how its storms came out, and the sums that matter."""
    rows_by_env: dict[str, list[tuple[str, ...]]] = {}
    for row in table:
        rows_by_env.setdefault(row[0], []).append(row)
    out = []
    for env, env_rows in rows_by_env.items():
        verdicts = [row[-1] for row in env_rows]
        hits = [int(row[6]) for row in env_rows if row[6].isdigit()]
        out.append((env, env_rows[0][1], env_rows[0][2], str(len(env_rows)),
                    str(sum(v.startswith('pass') for v in verdicts)), str(verdicts.count('bug detected')),
                    str(verdicts.count('known finding (xfail)')), str(verdicts.count('FAIL')),
                    str(sum(hits)) if hits else 'n/a', str(sum(int(row[7]) for row in env_rows)),
                    str(sum(int(row[9]) for row in env_rows))))
    return out


def markdown(table: list[tuple[str, ...]], columns: tuple[str, ...] = COLUMNS) -> str:
    lines = ['| ' + ' | '.join(columns) + ' |', '|' + '---|' * len(columns)]
    lines += ['| ' + ' | '.join(cell.replace('|', '\\|') for cell in row) + ' |' for row in table]
    return '\n'.join(lines) + '\n'


def html(table: list[tuple[str, ...]]) -> str:
    colour = {'FAIL': '#f8d0d0', 'bug detected': '#fde9c4', 'known finding (xfail)': '#e6e0f8'}
    body = []
    for row in table:
        background = colour.get(row[-1], '#dff3df' if row[-1] == 'pass' else '#eeeeee')
        body.append('<tr>' + ''.join(f'<td>{escape(cell)}</td>' for cell in row[:-1])
                    + f'<td style="background:{background}"><b>{escape(row[-1])}</b></td></tr>')
    return f'''<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>NiceGUI connection lifecycle: compatibility</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; font-size: 13px; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; }}
th {{ background: #f4f4f4; }}
</style></head><body>
<h1>NiceGUI connection lifecycle under navigation storms</h1>
<p>Each row is one storm in one environment of the matrix. <b>bug detected</b>: the server ran an unguarded
disconnect handler and the suite saw #4304, as it must. <b>pass</b>: race hit, no #4304, no other error,
no leaked client, the last page still worked. <b>known finding</b>: a storm the suite expects to fail
(<code>xfail</code>) because of a problem it reports, not #4304.</p>
<table><thead><tr>{''.join(f'<th>{escape(c)}</th>' for c in COLUMNS)}</tr></thead>
<tbody>
{chr(10).join(body)}
</tbody></table></body></html>
'''


def load(folder: Path) -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text(encoding='utf-8')) for path in sorted(folder.glob('*.json'))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('cells', type=Path, help='folder of JSON run reports')
    parser.add_argument('--out', type=Path, default=Path('reports'), help='folder for the report files')
    args = parser.parse_args(argv)
    cells = load(args.cells) if args.cells.is_dir() else {}
    if not cells:
        print(f'nicegui-e2e report: no run reports in {args.cells}', file=sys.stderr)
        return 2
    table = rows(cells)
    args.out.mkdir(parents=True, exist_ok=True)
    text = markdown(summary(table), SUMMARY_COLUMNS) + '\n' + markdown(table)
    (args.out / 'compatibility.md').write_text(text, encoding='utf-8')
    (args.out / 'compatibility.html').write_text(html(table), encoding='utf-8')
    print(text, end='')
    print(f'written: {args.out / "compatibility.md"}, {args.out / "compatibility.html"}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
