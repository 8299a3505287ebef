"""Whole-suite wall time with pytest-xdist against without, side by side in one run.

Rounds alternate ``-n 0`` and ``-n 2`` so both see the same machine noise; medians and their ratio follow.
``--against DIR`` times another checkout in the same loop (say, the commit before a change, from
``git worktree add``); ``python -m pytest`` runs there with this environment but imports the package of
the checkout it runs in, because Python puts the working directory first on its path.
    python benchmarks/xdist_speedup.py --rounds 3 [--against /tmp/before] [-- extra pytest args]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed_run(checkout: Path, workers: int, pytest_args: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, '-m', 'pytest', 'e2e', '-q', '-n', str(workers), '-p', 'no:cacheprovider', *pytest_args],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    )
    outcome = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else f'exit {done.returncode}'
    return time.perf_counter() - started, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--against', type=Path, help='another checkout to time in the same loop')
    parser.add_argument('pytest_args', nargs='*')
    args = parser.parse_args()
    checkouts = {'this': ROOT}
    if args.against:
        checkouts[str(args.against)] = args.against.resolve()
    times: dict[tuple[str, int], list[float]] = {(name, n): [] for name in checkouts for n in (0, 2)}
    for round_ in range(1, args.rounds + 1):
        for name, checkout in checkouts.items():
            for workers in (0, 2):
                took, outcome = timed_run(checkout, workers, args.pytest_args)
                times[name, workers].append(took)
                print(f'round {round_}: {name}: -n {workers}: {took:6.1f} s  ({outcome})', flush=True)
    for name in checkouts:
        serial, parallel = statistics.median(times[name, 0]), statistics.median(times[name, 2])
        ratios = [s / p for s, p in zip(times[name, 0], times[name, 2])]
        print(
            f'{name}: median -n 0: {serial:.1f} s, median -n 2: {parallel:.1f} s, '
            f'speedup {serial / parallel:.2f}x over {args.rounds} rounds '
            f'(per round {min(ratios):.2f}x to {max(ratios):.2f}x)'
        )


if __name__ == '__main__':
    main()
