"""Whole-suite wall time with pytest-xdist against without, side by side in one run.

Rounds alternate ``-n 0`` and ``-n 2`` so both see the same machine noise; medians and their ratio follow.
    python benchmarks/xdist_speedup.py --rounds 3 [-- extra pytest args]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('pytest_args', nargs='*')
    args = parser.parse_args()
    times: dict[int, list[float]] = {0: [], 2: []}
    for round_ in range(1, args.rounds + 1):
        for workers in (0, 2):
            started = time.perf_counter()
            done = subprocess.run([sys.executable, '-m', 'pytest', 'e2e', '-q', '-n', str(workers),
                                   '-p', 'no:cacheprovider', *args.pytest_args], cwd=ROOT,
                                  capture_output=True, text=True, check=False)
            took = time.perf_counter() - started
            times[workers].append(took)
            outcome = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else f'exit {done.returncode}'
            print(f'round {round_}: -n {workers}: {took:6.1f} s  ({outcome})', flush=True)
    serial, parallel = statistics.median(times[0]), statistics.median(times[2])
    print(f'median -n 0: {serial:.1f} s, median -n 2: {parallel:.1f} s, '
          f'speedup {serial / parallel:.2f}x over {args.rounds} rounds')


if __name__ == '__main__':
    main()
