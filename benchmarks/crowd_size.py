"""Crowd size: how many browsers storming one server at once it survives, and the race attempts per second.

For each crowd size, a few crowd storms against one server (3.x: the hold-back makes every departure in the
window a race attempt); a storm passes when its verdict does (page check in every browser included).
    python benchmarks/crowd_size.py                                   # local Chromes: 1, 2, 4, 6, 8
    python scripts/grid.py run --layout standalone --sessions 8 -- python benchmarks/crowd_size.py --remote
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nicegui

from nicegui_e2e import lifecycle
from nicegui_e2e.browser import Browser, BrowserOptions
from nicegui_e2e.server import NiceGUIServer, ServerOptions
from nicegui_e2e.storm import Cadence

from common import ROOT, arguments, median


def main() -> None:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument('--sizes', default='1,2,4,6,8')
    parser.add_argument('--storms', type=int, default=3, help='crowd storms per size')
    parser.add_argument('--fix', choices=['on', 'off', 'bug'], default='on')
    parser.add_argument('--remote', action='store_true', help='browsers on the Grid at NICEGUI_E2E_REMOTE_URL')
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(',')]
    remote = os.environ.get('NICEGUI_E2E_REMOTE_URL', '') if args.remote else ''
    rows = []
    with tempfile.TemporaryDirectory(prefix='nicegui-e2e-crowd-') as tmp:
        server = NiceGUIServer(
            ServerOptions(app=ROOT / 'apps' / 'multipage.py', disconnect_fix=args.fix), Path(tmp) / 'server'
        ).start()
        browsers: list[Browser] = []
        try:
            for size in sizes:
                while len(browsers) < size:
                    options = BrowserOptions(handshake_delay_ms=1000, remote_url=remote, lane=len(browsers))
                    browsers.append(Browser(options, Path(tmp) / f'chrome-{len(browsers)}'))
                passed, hits, in_window, seconds, problems = 0, 0, 0, [], []
                for n in range(args.storms):
                    report = lifecycle.run(
                        server, browsers[:size], 'get', count=args.count, cadence=Cadence.parse('connect'), seed=100 * n
                    )
                    e = report.evidence
                    passed += not report.problems()
                    hits += e.race_hits or 0
                    in_window += e.departures - e.live_departures
                    seconds.append(e.seconds)
                    problems += [finding.text for finding in report.problems()[:1]]
                    print(f'{size} browser(s), storm {n + 1}: {report.line}', flush=True)
                storm_s = median(seconds) or 1.0
                rows.append(
                    (
                        size,
                        passed,
                        100 * hits / max(in_window, 1),
                        hits / args.storms / storm_s,
                        storm_s,
                        problems[0] if problems else '',
                    )
                )
        finally:
            for browser in browsers:
                browser.quit()
            server.stop()
    where = f'on the Grid at {remote}' if remote else 'local Chrome'
    print(f'\nNiceGUI {nicegui.__version__}, fix {args.fix}, {where}, {args.count} navigations per browser per storm')
    print(
        '| browsers | storms passed | race hits per departure in the window | race hits per s (crowd) | '
        'per browser | median storm s | first problem |'
    )
    print('|---|---|---|---|---|---|---|')
    for size, passed, rate, per_s, storm_s, problem in rows:
        print(
            f'| {size} | {passed} of {args.storms} | {rate:.0f}% | {per_s:.1f} | {per_s / size:.1f} | '
            f'{storm_s:.1f} | {problem[:90]} |'
        )


if __name__ == '__main__':
    main()
