"""The shipped suite on a two-page app, as a team runs it (the README's command, ``-n 2``, the team's defaults):
wall time and CPU time, this checkout against another one, side by side in one run.

Rounds alternate the checkouts so both see the same machine noise; medians and their ratio follow. The app is
``TWO_PAGES`` of ``e2e/test_shipped_suite.py``, written to a temporary folder; ``--against DIR`` is another
checkout (``git worktree add /tmp/base-main <commit>``), whose package is put first on the path.
CPU time is the pytest tree's (workers, servers, chromedriver, Chrome): the larger of its last sample from /proc
(every half second) and what this script reaped of pytest's tree; a process that ends between two samples without
being reaped by the tree is charged up to half a second short.

    python benchmarks/shipped_suite.py --against /tmp/base-main --rounds 3 [-- extra pytest args]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from proc_cpu import tree_seconds

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = 0.5


def shipped_suite_tests() -> Any:
    """``e2e/test_shipped_suite.py``, whose app (``TWO_PAGES``) and command (``README_COMMAND``) are timed here."""
    spec = importlib.util.spec_from_file_location('test_shipped_suite', ROOT / 'e2e' / 'test_shipped_suite.py')
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed_run(checkout: Path, folder: Path, command: list[str], pytest_args: list[str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, pytest's last line) of the shipped suite from ``checkout`` on ``folder``'s app."""
    env = {name: value for name, value in os.environ.items() if not name.startswith('NICEGUI_E2E_')}
    env['PYTHONPATH'] = str(checkout)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            *command,
            '-n',
            '2',
            '-q',
            '-p',
            'no:cacheprovider',
            *pytest_args,
        ],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    cpu = 0.0
    while process.poll() is None:
        cpu = max(cpu, tree_seconds(process.pid))
        time.sleep(SAMPLE)  # the sampling interval, not a synchronisation: the loop ends when pytest does
    output = process.stdout.read() if process.stdout else ''
    wall = time.perf_counter() - started
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = max(cpu, reaped.ru_utime + reaped.ru_stime - before)
    lines = output.strip().splitlines()
    return wall, cpu, lines[-1] if lines else f'exit {process.returncode}'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--against', type=Path, help='another checkout to time in the same loop')
    parser.add_argument('pytest_args', nargs='*')
    args = parser.parse_args()
    checkouts = {'this': ROOT}
    if args.against:
        checkouts[str(args.against)] = args.against.resolve()
    walls: dict[str, list[float]] = {name: [] for name in checkouts}
    cpus: dict[str, list[float]] = {name: [] for name in checkouts}
    with tempfile.TemporaryDirectory(prefix='nicegui-e2e-shipped-') as tmp:
        folder = Path(tmp)
        tests = shipped_suite_tests()
        (folder / 'main.py').write_text(tests.TWO_PAGES.lstrip(), encoding='utf-8')
        for round_ in range(1, args.rounds + 1):
            for name, checkout in checkouts.items():
                wall, cpu, outcome = timed_run(checkout, folder, list(tests.README_COMMAND), args.pytest_args)
                walls[name].append(wall)
                cpus[name].append(cpu)
                print(f'round {round_}: {name}: wall {wall:6.1f} s, CPU {cpu:6.1f} s  ({outcome})', flush=True)
    for name in checkouts:
        print(
            f'{name}: median wall {statistics.median(walls[name]):.1f} s, median CPU '
            f'{statistics.median(cpus[name]):.1f} s over {args.rounds} rounds'
        )
    if args.against:
        other = str(args.against)
        print(
            f'this / {other}: wall {statistics.median(walls["this"]) / statistics.median(walls[other]):.2f}x, '
            f'CPU {statistics.median(cpus["this"]) / statistics.median(cpus[other]):.2f}x'
        )


if __name__ == '__main__':
    main()
