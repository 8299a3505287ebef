"""A storm as a picture: navigations on top, one row per socket below, race hits in red; a crowd's sockets
grouped by browser, each browser's navigations in its own colour.

Plain SVG written by hand: it opens in any browser, needs no plotting library, and a reader sees at a glance
whether a socket left between its connect and its handshake.
"""

from __future__ import annotations

from html import escape
from typing import Any

ROW = 14
LEFT = 150
WIDTH = 1100
COLOURS = {'connect': '#2b7bb9', 'handshake': '#999', 'handshake_done': '#2a9d3a', 'disconnect': '#333'}
LANES = ('#f0c000', '#8e44ad', '#16a085', '#e67e22', '#2c3e50', '#c0392b', '#7f8c8d', '#27ae60')


def render(report: Any) -> str:
    """SVG of ``report`` (a :class:`~nicegui_e2e.lifecycle.StormReport`)."""
    result = report.result
    start = result.started
    end = max([result.ended] + [e['t'] for e in report.events]) if report.events else result.ended
    span = max(end - start, 1e-3)

    def x(t: float) -> float:
        return LEFT + (t - start) / span * (WIDTH - LEFT - 10)

    sockets: dict[str, list[dict[str, Any]]] = {}
    lane_of: dict[str, int] = {}
    for event in report.events:
        if 'sid' in event:
            sockets.setdefault(event['sid'], []).append(event)
            lane_of.setdefault(event['sid'], event.get('lane', 0))
    crowd = len(result.lanes) > 1
    sockets = dict(sorted(sockets.items(), key=lambda item: (lane_of[item[0]], item[1][0]['t'])))
    height = 40 + ROW * (len(sockets) + 1) + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'font-family="sans-serif" font-size="10">',
        f'<text x="4" y="14" font-size="12">{escape(report.line)}</text>',
        '<text x="4" y="34">navigations</text>',
    ]
    for nav in result.navigations:
        out.append(
            f'<line x1="{x(nav.t):.1f}" y1="24" x2="{x(nav.t):.1f}" y2="{height - 30}" '
            f'stroke="{LANES[nav.lane % len(LANES)]}" stroke-width="0.6">'
            f'<title>{f"browser {nav.lane + 1}: " if crowd else ""}{escape(nav.action)} {escape(nav.target)}'
            '</title></line>'
        )
    for row, (sid, events) in enumerate(sockets.items(), start=1):
        y = 34 + row * ROW
        times = [e['t'] for e in events]
        hit = any(e['kind'] == 'disconnect' and e.get('mapped') is False for e in events)
        colour = '#d62728' if hit else '#bbb'
        label = f'browser {lane_of[sid] + 1} · {sid[:8]}' if crowd else sid[:16]
        out.append(f'<text x="4" y="{y + 3}" fill="{colour}">{escape(label)}</text>')
        out.append(
            f'<line x1="{x(min(times)):.1f}" y1="{y}" x2="{x(max(times)):.1f}" y2="{y}" '
            f'stroke="{colour}" stroke-width="3"/>'
        )
        for event in events:
            fill = (
                '#d62728'
                if event['kind'] == 'disconnect' and event.get('mapped') is False
                else COLOURS.get(event['kind'], '#666')
            )
            out.append(
                f'<circle cx="{x(event["t"]):.1f}" cy="{y}" r="3" fill="{fill}">'
                f'<title>{escape(event["kind"])} at +{event["t"] - start:.3f} s</title></circle>'
            )
    legend = [*COLOURS.items(), ('race hit: disconnect before handshake', '#d62728')]
    x_legend = 4.0
    for kind, colour in legend:
        out.append(
            f'<circle cx="{x_legend + 4:.0f}" cy="{height - 13}" r="4" fill="{colour}"/>'
            f'<text x="{x_legend + 12:.0f}" y="{height - 10}">{escape(kind)}</text>'
        )
        x_legend += 24 + 6 * len(kind)
    lanes = (
        [(f'browser {n + 1}', LANES[n % len(LANES)]) for n in range(len(result.lanes))]
        if crowd
        else [('navigation', LANES[0])]
    )
    for name, colour in lanes:
        out.append(
            f'<line x1="{x_legend:.0f}" y1="{height - 18}" x2="{x_legend:.0f}" y2="{height - 6}" '
            f'stroke="{colour}" stroke-width="2"/><text x="{x_legend + 6:.0f}" y="{height - 10}">'
            f'{escape(name)}</text>'
        )
        x_legend += 18 + 6 * len(name)
    out.append(
        f'<text x="{x_legend:.0f}" y="{height - 10}">{"navigations, " if crowd else ""}{span:.2f} s shown</text>'
    )
    out.append('</svg>')
    return '\n'.join(out)
