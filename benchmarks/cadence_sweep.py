"""Natural timing, no injection: race-hit rate and KeyErrors per 100 navigations at each cadence.

python benchmarks/cadence_sweep.py --fix off --count 40     # on 2.11.0: where the lottery pays
"""

from __future__ import annotations

import nicegui

from nicegui_e2e import lifecycle
from nicegui_e2e.storm import Cadence

from common import arguments, server_and_browser


def main() -> None:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument('--fix', choices=['on', 'off', 'bug'], default='off')
    parser.add_argument('--cadences', default='0,50,100,150,200,300,400', help='milliseconds, comma-separated')
    args = parser.parse_args()
    print(f'NiceGUI {nicegui.__version__}, fix {args.fix}, {args.count} navigations per cadence, no injection')
    print('| cadence ms | navigations | race hits per 100 | #4304 KeyErrors per 100 | other errors | s |')
    print('|---|---|---|---|---|---|')
    with server_and_browser(args.fix) as (server, browser):
        for ms in args.cadences.split(','):
            report = lifecycle.run(
                server, browser, 'get', count=args.count, cadence=Cadence.parse(ms), expect_race=False
            )
            e = report.evidence
            per100 = 100 / max(e.navigations, 1)
            print(
                f'| {ms} | {e.navigations} | {(e.race_hits or 0) * per100:.1f} | {e.keyerrors * per100:.1f} | '
                f'{len(e.judged.failing) - len(e.judged.issue_4304)} | {e.seconds:.1f} |',
                flush=True,
            )


if __name__ == '__main__':
    main()
