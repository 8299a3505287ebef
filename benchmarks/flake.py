"""The flake check: the whole suite N times in a row, and per storm how often it passed, failed and hit the race.

A green suite that turns red by itself is worth little, so this counts. Each run is ``pytest e2e -n WORKERS`` with
a run report (``--nicegui-e2e-report``) and its own artefacts folder, kept only where the run failed. It prints
one line per run (exit code, NiceGUI, seed, wall time) and a table per storm: passes, unexpected failures, the
storm's verdicts and its race hits against departures inside the window.

    python benchmarks/flake.py --runs 20                           # 0 unexpected failures wanted
    python benchmarks/flake.py --runs 20 --fix off -k get          # on 2.11.0: 20 of 20 detections wanted
    python benchmarks/flake.py --runs 5 --load                     # the same with a CPU hog on one core

``--load`` keeps one core busy with a spinning process for the whole check; a storm that then hits no race
fails saying so (its verdict), it never passes quietly.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from nicegui_e2e.summary import StormSummary  # the checkout's own package, as the runs use it

ROOT = Path(__file__).resolve().parent.parent
ON_PURPOSE = ('bug detected', 'failure shown on purpose', 'known finding (xfail)')


def one_run(n: int, out: Path, workers: int, fix: str, extra: list[str]) -> tuple[int, float, dict[str, Any]]:
    report, artifacts = out / f'run-{n}.json', out / f'artifacts-{n}'
    env = {**os.environ, **({'NICEGUI_E2E_DISCONNECT_FIX': fix} if fix else {})}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, '-m', 'pytest', 'e2e', '-q', '-n', str(workers), '-p', 'no:cacheprovider',
                           f'--nicegui-e2e-report={report}', f'--nicegui-e2e-artifacts={artifacts}', *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    (out / f'run-{n}.log').write_text(done.stdout + done.stderr, encoding='utf-8')
    if done.returncode == 0:
        shutil.rmtree(artifacts, ignore_errors=True)
    data = json.loads(report.read_text(encoding='utf-8')) if report.exists() else {'storms': []}
    return done.returncode, seconds, data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--fix', choices=['on', 'off', 'bug'], help='disconnect fix mode (default: the setting)')
    parser.add_argument('--load', action='store_true', help='keep one core busy with a spinning process')
    parser.add_argument('--out', type=Path, default=ROOT / 'reports' / 'flake')
    parser.add_argument('pytest_args', nargs='*', help='more pytest arguments, after --')
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    hog = subprocess.Popen([sys.executable, '-c', 'while True: pass']) if args.load else None
    storms: dict[str, list[StormSummary]] = defaultdict(list)
    exits = []
    try:
        for n in range(1, args.runs + 1):
            code, seconds, data = one_run(n, args.out, args.workers, args.fix or '', args.pytest_args)
            exits.append(code)
            summaries = [StormSummary.from_data(s) for s in data['storms']]
            for summary in summaries:
                storms[summary.nodeid].append(summary)
            unexpected = sum(s.verdict == 'FAIL' for s in summaries)
            print(f'run {n:2d}: exit {code}, NiceGUI {data.get("versions", {}).get("nicegui", "?")}, '
                  f'seed {data.get("seed", "?")}, {seconds:.0f} s, {len(summaries)} storms, {unexpected} FAIL',
                  flush=True)
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    print(f'\n{args.runs} runs{" under load" if args.load else ""}, fix {args.fix or "as set"}: '
          f'{sum(code == 0 for code in exits)} exited 0; artefacts of failed runs in {args.out}\n')
    print('| storm | runs | pass | on purpose | FAIL | race hits / departures in the window |')
    print('|---|---|---|---|---|---|')
    for nodeid, runs in sorted(storms.items()):
        verdicts = [s.verdict for s in runs]
        hits = sum(s.race_hits or 0 for s in runs)
        window = sum(s.in_window for s in runs)
        rate = f'{hits} / {window} ({100 * hits / window:.0f}%)' if window else 'n/a'
        print(f'| {nodeid.split("::", 1)[1]} | {len(runs)} | {sum(v.startswith("pass") for v in verdicts)} | '
              f'{sum(v in ON_PURPOSE for v in verdicts)} | {verdicts.count("FAIL")} | {rate} |')
    return 0 if all(code == 0 for code in exits) else 1


if __name__ == '__main__':
    sys.exit(main())
