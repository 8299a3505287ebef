"""Detection power: how many storms catch #4304 where it exists, how fast, and false alarms where it does not.

Run it in an environment per NiceGUI version, e.g. on 2.11.0:
    python benchmarks/detection_power.py --fix off      # expected: 20 of 20 detect
    python benchmarks/detection_power.py --fix on       # expected: 0 of 20 report #4304, race hits in each
"""

from __future__ import annotations

import nicegui

from nicegui_e2e import incident, lifecycle
from nicegui_e2e.storm import Cadence

from common import arguments, median, server_and_browser


def first_detection(report: lifecycle.StormReport) -> float | None:
    """Seconds from storm start to the first #4304 record the server wrote."""
    for found in incident.from_records(report.records):
        if found.is_4304 and found.time is not None:
            return found.time - report.result.started
    return None


def main() -> None:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument('--fix', choices=['on', 'off', 'bug'], default='off')
    parser.add_argument('--storms', type=int, default=20)
    parser.add_argument('--handshake-delay-ms', type=int, default=1000)
    parser.add_argument('--cadence', default='connect')
    args = parser.parse_args()
    detected, delays, race_hits, departures, seconds = 0, [], [], 0, []
    with server_and_browser(args.fix, handshake_delay_ms=args.handshake_delay_ms) as (server, browser):
        for n in range(args.storms):
            report = lifecycle.run(
                server, browser, 'get', count=args.count, cadence=Cadence.parse(args.cadence), seed=n
            )
            e = report.evidence
            detected += e.keyerrors > 0
            first = first_detection(report)
            if first is not None:
                delays.append(first)
            race_hits.append(e.race_hits or 0)
            departures += e.departures
            seconds.append(e.seconds)
            print(f'storm {n + 1:2d}: {report.line}', flush=True)
        fix = server.info['fix']
    first = median(delays)
    print()
    print(
        '| NiceGUI | fix | storms | storms reporting #4304 | median s to first detection | '
        'race hits per storm (min / median) | race hits per departure | median storm s |'
    )
    print('|---|---|---|---|---|---|---|---|')
    print(
        f'| {nicegui.__version__} | {fix} | {args.storms} | {detected} | '
        f'{"-" if first is None else f"{first:.2f}"} | {min(race_hits)} / {median(race_hits):g} | '
        f'{100 * sum(race_hits) / max(departures, 1):.0f}% | {median(seconds):.1f} |'
    )


if __name__ == '__main__':
    main()
