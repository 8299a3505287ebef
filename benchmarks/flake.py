"""The flake check: the whole suite N times in a row, and per storm how often it passed, failed and hit the race.

A green suite that turns red by itself is worth little, so this counts. Each run is ``pytest e2e -n WORKERS`` with
a run report (``--nicegui-e2e-report``) and its own artefacts folder, kept only where the run failed. It prints
one line per run (exit code, NiceGUI, seed, wall time, core-seconds of the whole run, peak memory of each
worker) and a table per storm: passes, unexpected failures, the storm's verdicts and its race hits against
departures inside the window.

    python benchmarks/flake.py --runs 20                           # 0 unexpected failures wanted
    python benchmarks/flake.py --runs 20 --fix off -k get          # on 2.11.0: 20 of 20 detections wanted
    python benchmarks/flake.py --runs 5 --load                     # the same with a CPU hog on one core
    python benchmarks/flake.py --runs 4 --cold                     # the first run cold, then warm ones
    python benchmarks/flake.py --tables-only --out reports/flake   # the table again, from the runs kept there

``--load`` keeps one core busy with a spinning process for the whole check; a storm that then hits no race
fails saying so (its verdict), it never passes quietly. ``--cold`` makes the first run what it is after
``scripts/setup.sh``: the servers' bytecode cache is removed and, where the user may, the kernel's page cache
is dropped; the summary then gives the cold run and the median of the warm ones apart.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from footprint import Sampler

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from nicegui_e2e.findings import Outcome
from nicegui_e2e.server import BYTECODE_CACHE  # the checkout's own package, as the runs use it
from nicegui_e2e.summary import StormSummary
from nicegui_e2e.verdict import share

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    code: int
    seconds: float
    core_seconds: float
    memory: str
    data: dict[str, Any]


def one_run(n: int, out: Path, workers: int, fix: str, extra: list[str]) -> Run:
    report, artifacts = out / f'run-{n}.json', out / f'artifacts-{n}'
    env = {**os.environ, **({'NICEGUI_E2E_DISCONNECT_FIX': fix} if fix else {})}
    started = time.perf_counter()
    with (out / f'run-{n}.log').open('w', encoding='utf-8') as log:
        pytest = subprocess.Popen(
            [
                sys.executable,
                '-m',
                'pytest',
                'e2e',
                '-q',
                '-n',
                str(workers),
                '-p',
                'no:cacheprovider',
                f'--nicegui-e2e-report={report}',
                f'--nicegui-e2e-artifacts={artifacts}',
                *extra,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        with Sampler(pytest.pid, xdist=workers > 0) as sampler:
            code = pytest.wait()
    seconds = time.perf_counter() - started
    if code == 0:
        shutil.rmtree(artifacts, ignore_errors=True)
    data = json.loads(report.read_text(encoding='utf-8')) if report.exists() else {'storms': []}
    return Run(code, seconds, sampler.core_seconds, sampler.peaks.describe(), data)


def make_cold() -> str:
    """Undo what a first run leaves warm: the servers' bytecode cache, and the page cache where allowed."""
    shutil.rmtree(BYTECODE_CACHE, ignore_errors=True)
    try:
        os.sync()
        Path('/proc/sys/vm/drop_caches').write_text('3\n')
    except OSError as error:
        return f"servers' bytecode cache removed; page cache kept ({error.strerror})"
    return "servers' bytecode cache removed, page cache dropped"


def costs(label: str, runs: list[Run]) -> str:
    if not runs:
        return ''
    wall, cpu = statistics.median(r.seconds for r in runs), statistics.median(r.core_seconds for r in runs)
    return f'{label}: median {wall:.0f} s wall, {cpu:.0f} core-s ({cpu / wall:.2f} cores busy) over {len(runs)} run(s)'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--fix', choices=['on', 'off', 'bug'], help='disconnect fix mode (default: the setting)')
    parser.add_argument('--load', action='store_true', help='keep one core busy with a spinning process')
    parser.add_argument('--cold', action='store_true', help='make the first run cold, as after setup')
    parser.add_argument('--out', type=Path, default=ROOT / 'reports' / 'flake')
    parser.add_argument('--tables-only', action='store_true', help='run nothing: the storm table of the runs in --out')
    parser.add_argument('pytest_args', nargs='*', help='more pytest arguments, after --')
    args = parser.parse_args()
    if args.tables_only:
        reports = sorted(args.out.glob('run-*.json'), key=lambda path: int(path.stem.split('-')[1]))
        print_storms(by_storm([json.loads(path.read_text(encoding='utf-8')) for path in reports]))
        return 0
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    hog = subprocess.Popen([sys.executable, '-c', 'while True: pass']) if args.load else None
    runs: list[Run] = []
    if args.cold:
        print(f'run  1 is cold: {make_cold()}', flush=True)
    try:
        for n in range(1, args.runs + 1):
            run = one_run(n, args.out, args.workers, args.fix or '', args.pytest_args)
            runs.append(run)
            summaries = [StormSummary.from_data(s) for s in run.data['storms']]
            unexpected = sum(s.result is Outcome.FAIL for s in summaries)
            print(
                f'run {n:2d}: exit {run.code}, NiceGUI {run.data.get("versions", {}).get("nicegui", "?")}, '
                f'seed {run.data.get("seed", "?")}, {run.seconds:.0f} s, {run.core_seconds:.0f} core-s, '
                f'{len(summaries)} storms, {unexpected} FAIL; peak {run.memory}',
                flush=True,
            )
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    print(
        f'\n{args.runs} runs{" under load" if args.load else ""}, fix {args.fix or "as set"}: '
        f'{sum(r.code == 0 for r in runs)} exited 0; artefacts of failed runs in {args.out}'
    )
    cold, warm = (runs[:1], runs[1:]) if args.cold else ([], runs)
    for line in (costs('cold', cold), costs('warm', warm)):
        if line:
            print(line)
    print()
    print_storms(by_storm([run.data for run in runs]))
    return 0 if all(r.code == 0 for r in runs) else 1


def by_storm(reports: list[dict[str, Any]]) -> dict[str, list[StormSummary]]:
    storms: dict[str, list[StormSummary]] = defaultdict(list)
    for report in reports:
        for data in report['storms']:
            summary = StormSummary.from_data(data)
            storms[summary.nodeid].append(summary)
    return storms


def print_storms(storms: dict[str, list[StormSummary]]) -> None:
    """Per storm: its verdicts over the runs, its race hits against departures in the window, and race hits
    per second of storm (a crowd's across its browsers)."""
    print('| storm | runs | pass | on purpose | FAIL | race hits / departures in the window | race hits per s |')
    print('|---|---|---|---|---|---|---|')
    for nodeid, kept in sorted(storms.items()):
        results = [s.result for s in kept]
        hits = sum(s.race_hits or 0 for s in kept)
        window = sum(s.in_window for s in kept)
        part = share(hits, window)
        rate = (
            f'{hits} / {window}' + (f' ({100 * part:.0f}%)' if part is not None else ' (not a share)')
            if window
            else 'n/a'
        )
        seconds = sum(s.seconds for s in kept)
        per_second = f'{hits / seconds:.1f}' if window and seconds else 'n/a'
        on_purpose = sum(result.on_purpose or result is Outcome.KNOWN_FINDING for result in results)
        print(
            f'| {nodeid.split("::", 1)[1]} | {len(kept)} | {sum(result.passing for result in results)} | '
            f'{on_purpose} | {results.count(Outcome.FAIL)} | {rate} | {per_second} |'
        )


if __name__ == '__main__':
    sys.exit(main())
