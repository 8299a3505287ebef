"""What a navigation costs in CPU with full Chrome headless against Chrome's headless shell, side by side.

Two xdist workers on two cores are short of CPU, not of waiting time, so the browser's cost per navigation
decides how far ``-n 2`` can get ahead of ``-n 0``. Rounds alternate the browsers; the machine-wide busy
time from /proc/stat is charged to each storm (server, driver and pytest included, as in a real run).
    python benchmarks/browser_cost.py --rounds 3 --count 60
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

from nicegui_e2e import browser as chrome
from nicegui_e2e import lifecycle
from nicegui_e2e.storm import Cadence

from common import arguments, server_and_browser


def busy_seconds() -> float:
    """Core-seconds the whole machine has spent busy since boot (Linux)."""
    fields = [int(value) for value in Path('/proc/stat').read_text().split('\n', 1)[0].split()[1:8]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields) - idle) / os.sysconf('SC_CLK_TCK')


def main() -> None:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=3)
    parser.set_defaults(count=60)
    args = parser.parse_args()
    shell = chrome.find_binary(None)  # what a headless run starts
    binaries = {'full Chrome': chrome.find_binary(None, headed=True), 'headless shell': shell}
    if not chrome.is_headless_shell(shell) or not binaries['full Chrome']:
        raise SystemExit('browser_cost: needs both full Chrome and the headless shell installed')
    walls: dict[str, list[float]] = {name: [] for name in binaries}
    cores: dict[str, list[float]] = {name: [] for name in binaries}
    hits: dict[str, list[float]] = {name: [] for name in binaries}
    for round_ in range(1, args.rounds + 1):
        for name, binary in binaries.items():
            with server_and_browser('on', handshake_delay_ms=1000, binary=binary) as (server, browser):
                lifecycle.run(server, browser, 'get', count=5, cadence=Cadence.parse('connect'))  # warm caches
                busy, started = busy_seconds(), time.perf_counter()
                report = lifecycle.run(
                    server, browser, 'get', count=args.count, cadence=Cadence.parse('connect'), seed=round_
                )
                took, spent = time.perf_counter() - started, busy_seconds() - busy
            walls[name].append(took)
            cores[name].append(spent)
            hits[name].append((report.evidence.race_hits or 0) / max(report.evidence.departures, 1))
            print(f'round {round_}: {name:14s} {took:5.1f} s, {spent:5.1f} core-s  ({report.line})', flush=True)
    print()
    print('| browser | median storm s | median core-s | core-ms per navigation | race hits per departure |')
    print('|---|---|---|---|---|')
    median = statistics.median  # every list holds one figure per round
    for name in binaries:
        print(
            f'| {name} | {median(walls[name]):.1f} | {median(cores[name]):.1f} | '
            f'{1000 * median(cores[name]) / args.count:.0f} | {100 * median(hits[name]):.0f}% |'
        )
    full_cores, shell_cores = median(cores['full Chrome']), median(cores['headless shell'])
    print(
        f'headless shell / full Chrome, core-s: {shell_cores / full_cores:.2f}; storm time: '
        f'{median(walls["headless shell"]) / median(walls["full Chrome"]):.2f}'
    )


if __name__ == '__main__':
    main()
