"""The version matrix's one table: each NiceGUI release tox tests, from which ``tox.ini`` is written.

    python scripts/matrix.py --write   # after editing RELEASES: tox.ini anew
    python scripts/matrix.py --check   # exit 1 where tox.ini is not what the table gives

A new release is one line in :data:`RELEASES`; ``tests/test_matrix.py`` fails while ``tox.ini`` is stale.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from packaging.version import Version

from nicegui_e2e import corpus

TOX_INI = Path(__file__).resolve().parent.parent / 'tox.ini'


class Runs(Enum):
    """What a cell runs: detection, not statistics. In the order tox starts them, the longest first."""

    FULL = 'the whole suite but its own robustness tests, once'
    RELEASE = 'the family storms as a corpus cell, every navigation storm and the negative control of #4304'
    CORPUS = 'the family storms of the known bugs it has, or whose range it ends or borders (see family)'


@dataclass(frozen=True)
class Release:
    """One cell (or one per variant) of the matrix."""

    factor: str  # the tox factor naming it: py311-<factor>
    nicegui: str  # the release installed; '' for the newest, with the newest dependencies
    day: str  # uv's exclude-newer: the dependencies its users had that day (the day after it came out); '' for none
    runs: Runs = Runs.CORPUS
    variants: tuple[str, ...] = ()  # factors of its own cells, as fix and nofix
    note: str = ''  # why the day is what it is, where that is not plain; a comment above its line


RELEASES = (
    Release(
        'ng2101',
        '2.10.1',
        '2025-01-25',
        Runs.RELEASE,
        note=(
            "2.10.1's own day (2025-01-22) brings Starlette 0.45.2, whose StaticFiles serve nothing with NiceGUI's "
            'follow_symlink=True (it compares a str with a Path): every page loads without CSS and JavaScript. A '
            'finding, seen by setting the date below to 2025-01-22; the cell uses the day after Starlette 0.45.3 fixed '
            'it, so that the lifecycle can be tested at all.'
        ),
    ),
    Release('ng2110', '2.11.0', '2025-02-05', Runs.RELEASE, variants=('fix', 'nofix')),
    Release('ng2111', '2.11.1', '2025-02-12', Runs.RELEASE),
    Release('ng2130', '2.13.0', '2025-03-19'),
    Release(
        'ng2140',
        '2.14.0',
        '2025-04-09',
        note=('2.14.0 was yanked (a binding bug); uv installs it because it is pinned exactly'),
    ),
    Release('ng2170', '2.17.0', '2025-05-13'),
    Release('ng2180', '2.18.0', '2025-05-24'),
    Release('ng2242', '2.24.2', '2025-09-24'),
    Release('ng304', '3.0.4', '2025-10-11'),
    Release('ng341', '3.4.1', '2025-12-17'),
    Release('ng350', '3.5.0', '2026-01-09'),
    Release('ng371', '3.7.1', '2026-02-06'),
    Release('ng380', '3.8.0', '2026-02-25'),
    Release('ng3130', '3.13.0', '2026-06-10'),
    Release('ng3140', '3.14.0', '2026-07-01'),
    Release('ng3160', '3.16.0', '2026-08-13'),
    Release('ng3170', '3.17.0', '2026-09-17'),
    Release('ng3171', '3.17.1', '2026-09-19'),
    Release('ng318', '3.18.0', '2026-10-08', Runs.FULL),
    Release('newest', '', '', Runs.RELEASE),
)
"""Oldest first (tox lists the longest cells first); the corpus (nicegui_e2e/corpus.py) names the releases of its
bugs, and from it :func:`family` which of its storms each cell runs."""

HEADER = """\
# Written by scripts/matrix.py from its table of releases: edit the table there, then
#   python scripts/matrix.py --write
# The version matrix: each NiceGUI release with the dependencies its users had the day after it came out
# (uv's exclude-newer), plus the newest NiceGUI with the newest dependencies.
#   tox -p auto                                whole matrix, as many environments side by side as there are cores
#   tox -e py311-ng2110-fix,py311-ng2110-nofix the bug with and without the fix
# Extra pytest arguments go after --, e.g.  tox -e py311-ng318 -- -k get --nicegui-e2e-storm-count 30
# Each cell runs one xdist worker (tox -p already runs cells side by side); E2E_WORKERS=auto for one cell alone.
# The cells need detection, not statistics: 10 navigations per storm; each known bug's storm (e2e/test_family.py)
# runs on the releases that have the bug and on the release either side of its range (the two storms that wait
# a bug out only where its range starts or ends, and either side); the navigation storms and #4304's negative
# control where NiceGUI's handler differs (a release cell); the rest of the suite once, on the newest release
# (the full cell, first in the list so that it does not run last alone). Robustness tests run once in CI.
#
# A nofix cell runs NiceGUI 2.11.0 as shipped: its storms must fail naming #4304, so tox ignores its exit code
# and the report holds it to its purpose instead:
#   python -m nicegui_e2e.report reports/cells --out reports --expect-detection py311-ng2110-nofix
# exits non-zero on any FAIL anywhere, and where that cell is missing or detected nothing.
"""

COMMAND = 'pytest {paths} -n {{env:E2E_WORKERS:1}} -p no:cacheprovider {{posargs}}'
FAMILY = 'e2e/test_family.py'
NAVIGATION = (
    'e2e/test_navigation_storms.py::test_storm_leaves_the_lifecycle_intact',
    'e2e/test_navigation_storms.py::test_detector_fires_without_the_fix',
)
"""The storms of #4304 in a release cell: every navigation kind, and the negative control. The crowd and natural
timing (statistics, not detection) run in the full cell."""
STORM_COUNT = 10
"""Navigations per storm in every cell: the race is hit on nearly every departure with the handshake held back,
so ten show #4304 where it is; the default 30 are for the statistics of a run of the suite on its own."""


class MatrixError(ValueError):
    """The table cannot give a tox.ini; the message is one line."""


def borders(releases: tuple[Release, ...], bug: corpus.KnownBug) -> set[str]:
    """The releases of the matrix on either side of either end of ``bug``'s range: its first and last release
    here, the one before and the one after. Its storm there shows it where the range starts and ends, and that
    it is absent on either side of it."""
    versions = sorted({r.nicegui for r in releases if r.nicegui}, key=Version)
    inside = [i for i, version in enumerate(versions) if bug.affects(version)]
    if not inside:
        return set()
    return {versions[i] for i in (inside[0] - 1, inside[0], inside[-1], inside[-1] + 1) if 0 <= i < len(versions)}


WAITING = (
    'test_a_page_keeps_working_after_its_connection_drops',
    'test_a_page_slower_than_its_response_timeout_settles',
)
"""Storms that wait a bug out on a release that has it (a frozen page until its deadline, a page reloading itself
until the stay ends): 30 to 50 s there against 2 to 9 s for the other family storms (storm time in the matrix of
2026-12-05). They run only where their bug's range starts or ends and either side of it; the others also run on
every release in between."""


def family(release: Release, releases: tuple[Release, ...]) -> list[str]:
    """The family storms a cell runs: those of the known bugs whose range it ends or borders, and of the bugs it has
    whose storm does not wait them out; all of them where it runs the newest NiceGUI, which the table cannot
    place."""
    if not release.nicegui:
        return [FAMILY]
    tests = dict.fromkeys(
        bug.test
        for bug in corpus.KNOWN
        if release.nicegui in borders(releases, bug) or (bug.test not in WAITING and bug.affects(release.nicegui))
    )
    return [f'{FAMILY}::{test}' for test in tests]


def paths(release: Release, releases: tuple[Release, ...]) -> str:
    if release.runs is Runs.FULL:
        return 'e2e -m "not robustness"'
    tests = family(release, releases) + (list(NAVIGATION) if release.runs is Runs.RELEASE else [])
    if not tests:
        raise MatrixError(
            f'{release.factor} ({release.nicegui}) runs {release.runs.name}, but has no known bug of '
            'nicegui_e2e/corpus.py and borders the range of none: give it Runs.RELEASE or leave it out'
        )
    return ' '.join(tests)


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
    first = sorted(releases, key=lambda r: list(Runs).index(r.runs))  # the longest first: none is left to run alone
    envs = [f'py311-{r.factor}' + (f'-{{{",".join(r.variants)}}}' if r.variants else '') for r in first]
    days = []
    for r in releases:
        if r.day:
            days += [*_wrapped(r.note, '    '), f'    {r.factor}: UV_EXCLUDE_NEWER = {r.day}']
    lines = [
        '[tox]',
        'requires =',
        '    tox>=4.11',
        '    tox-uv>=1.0',
        'env_list =',
        *(f'    {env}' for env in envs),
        'skip_missing_interpreters = true',
        '',
        '[testenv]',
        'package = wheel',
        'ignore_outcome =',
        '    nofix: true',
        'wheel_build_env = .pkg',
        'pass_env =',
        '    NICEGUI_E2E_*',
        '    CI',
        'set_env =',
        *days,
        '    nofix: NICEGUI_E2E_DISCONNECT_FIX = off',
        f'    NICEGUI_E2E_STORM_COUNT = {STORM_COUNT}',
        '    NICEGUI_E2E_REPORT = {tox_root}/reports/cells/{env_name}.json',
        '    NICEGUI_E2E_ARTIFACTS = artifacts/{env_name}',
        'deps =',
        *(f'    {r.factor}: nicegui' + (f'=={r.nicegui}' if r.nicegui else '') for r in releases),
        'commands =',
        *(f'    {r.factor}: ' + COMMAND.format(paths=paths(r, releases)) for r in releases),
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
