"""The version matrix's one table: each NiceGUI release tox tests, from which ``tox.ini`` is written.

    python scripts/matrix.py --write   # after editing RELEASES: tox.ini anew
    python scripts/matrix.py --check   # exit 1 where tox.ini is not what the table gives

A new release is one line in :data:`RELEASES`; ``tests/test_matrix.py`` fails while ``tox.ini`` is stale.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

TOX_INI = Path(__file__).resolve().parent.parent / 'tox.ini'


@dataclass(frozen=True)
class Release:
    """One cell (or one per variant) of the matrix."""
    factor: str  # the tox factor naming it: py311-<factor>
    nicegui: str  # the release installed; '' for the newest, with the newest dependencies
    day: str  # uv's exclude-newer: the dependencies its users had that day (the day after it came out); '' for none
    corpus: bool = False  # a corpus cell: each side of a fix of a known bug, running only that bug's storms
    variants: tuple[str, ...] = ()  # factors of its own cells, as fix and nofix
    note: str = ''  # why the day is what it is, where that is not plain; a comment above its line


RELEASES = (
    Release('ng2101', '2.10.1', '2025-01-25', note=(
        "2.10.1's own day (2025-01-22) brings Starlette 0.45.2, whose StaticFiles serve nothing with NiceGUI's "
        'follow_symlink=True (it compares a str with a Path): every page loads without CSS and JavaScript. A '
        'finding, seen by setting the date below to 2025-01-22; the cell uses the day after Starlette 0.45.3 fixed '
        'it, so that the lifecycle can be tested at all.')),
    Release('ng2110', '2.11.0', '2025-02-05', variants=('fix', 'nofix')),
    Release('ng2111', '2.11.1', '2025-02-12'),
    Release('ng2130', '2.13.0', '2025-03-19', corpus=True),
    Release('ng2140', '2.14.0', '2025-04-09', corpus=True, note=(
        '2.14.0 was yanked (a binding bug); uv installs it because it is pinned exactly')),
    Release('ng2170', '2.17.0', '2025-05-13', corpus=True),
    Release('ng2180', '2.18.0', '2025-05-24', corpus=True),
    Release('ng2242', '2.24.2', '2025-09-24'),
    Release('ng304', '3.0.4', '2025-10-11'),
    Release('ng341', '3.4.1', '2025-12-17', corpus=True),
    Release('ng350', '3.5.0', '2026-01-09', corpus=True),
    Release('ng371', '3.7.1', '2026-02-06', corpus=True),
    Release('ng380', '3.8.0', '2026-02-25', corpus=True),
    Release('ng3130', '3.13.0', '2026-06-10', corpus=True),
    Release('ng3140', '3.14.0', '2026-07-01', corpus=True),
    Release('ng3160', '3.16.0', '2026-08-13', corpus=True),
    Release('ng3170', '3.17.0', '2026-09-17', corpus=True),
    Release('ng3171', '3.17.1', '2026-09-19', corpus=True),
    Release('ng318', '3.18.0', '2026-10-08'),
    Release('newest', '', ''),
)
"""Oldest first, as tox lists the cells; the corpus (nicegui_e2e/corpus.py) names the releases of its bugs."""

HEADER = '''\
# Written by scripts/matrix.py from its table of releases: edit the table there, then
#   python scripts/matrix.py --write
# The version matrix: each NiceGUI release with the dependencies its users had the day after it came out
# (uv's exclude-newer), plus the newest NiceGUI with the newest dependencies.
#   tox -p auto                                whole matrix, as many environments side by side as there are cores
#   tox -e py311-ng2110-fix,py311-ng2110-nofix the bug with and without the fix
# Extra pytest arguments go after --, e.g.  tox -e py311-ng318 -- -k get --nicegui-e2e-storm-count 10
# Each cell runs one xdist worker (tox -p already runs cells side by side); E2E_WORKERS=auto for one cell alone.
# The suite's own robustness tests (casualties, interrupts, a noisy app) run once in CI, not in every cell.
#
# A nofix cell runs NiceGUI 2.11.0 as shipped: its storms must fail naming #4304, so tox ignores its exit code
# and the report holds it to its purpose instead:
#   python -m nicegui_e2e.report reports/cells --out reports --expect-detection py311-ng2110-nofix
# exits non-zero on any FAIL anywhere, and where that cell is missing or detected nothing.
'''

COMMAND = 'pytest {paths} -n {{env:E2E_WORKERS:1}} -p no:cacheprovider {{posargs}}'


def _wrapped(text: str, indent: str, width: int = 112) -> list[str]:
    """``text`` as comment lines of at most ``width`` characters after ``indent``."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += ' ' + word
        else:
            lines.append(word)
    return [f'{indent}# {line}' for line in lines]


def render(releases: tuple[Release, ...] = RELEASES) -> str:
    """tox.ini as the table gives it."""
    envs = [f'py311-{r.factor}' + (f'-{{{",".join(r.variants)}}}' if r.variants else '') for r in releases]
    days = []
    for r in releases:
        if r.day:
            days += [*_wrapped(r.note, '    '), f'    {r.factor}: UV_EXCLUDE_NEWER = {r.day}']
    corpus = [r.factor for r in releases if r.corpus]
    lines = [
        '[tox]', 'requires =', '    tox>=4.11', '    tox-uv>=1.0', 'env_list =', *(f'    {env}' for env in envs),
        'skip_missing_interpreters = true', '',
        '[testenv]', 'package = wheel', 'ignore_outcome =', '    nofix: true', 'wheel_build_env = .pkg',
        'pass_env =', '    NICEGUI_E2E_*', '    CI',
        'set_env =', *days,
        '    nofix: NICEGUI_E2E_DISCONNECT_FIX = off',
        '    NICEGUI_E2E_REPORT = {tox_root}/reports/cells/{env_name}.json',
        '    NICEGUI_E2E_ARTIFACTS = artifacts/{env_name}',
        'deps =', *(f'    {r.factor}: nicegui' + (f'=={r.nicegui}' if r.nicegui else '') for r in releases),
        'commands =',
        '    # a corpus cell exists for the storms of its known bug; the whole suite runs in the other cells',
        f'    {",".join(corpus)}: ' + COMMAND.format(paths='e2e/test_family.py'),
        f'    {"-".join("!" + factor for factor in corpus)}: ' + COMMAND.format(paths='e2e -m "not robustness"'),
    ]
    return HEADER + '\n'.join(lines) + '\n'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument('--write', action='store_true', help=f'write {TOX_INI.name} from the table')
    action.add_argument('--check', action='store_true', help=f'exit 1 where {TOX_INI.name} is not what it gives')
    args = parser.parse_args(argv)
    if args.write:
        TOX_INI.write_text(render(), encoding='utf-8')
        return 0
    if TOX_INI.read_text(encoding='utf-8') != render():
        print(f'{TOX_INI} is stale: run python scripts/matrix.py --write', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
