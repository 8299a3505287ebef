"""An app that floods its logs during a storm: 100,000 warnings, some binary lines and some lines of a megabyte.

Nothing may be lost (every line in the raw log and every record in the structured ones), nothing may block (the
server writes to files, never to a pipe someone must drain), and the storm must still be judged. The cost is a
figure, printed, not asserted: the storm's time next to the same storm on the same app before the flood, and the
test process's peak memory.
"""

from __future__ import annotations

import resource
import textwrap
import urllib.request
from pathlib import Path

import pytest

from nicegui_e2e.waiting import wait_for

pytestmark = [pytest.mark.storm, pytest.mark.robustness]  # the suite's own, not a NiceGUI release's
LINES = 100_000

NOISY = f"""
import asyncio
import logging
import sys

from nicegui import app, ui

log = logging.getLogger('noisy')
flood = {{'started': False}}


async def make_noise() -> None:
    for n in range({LINES}):
        log.warning('noise line %d', n)
        if n % 20_000 == 0:
            sys.stdout.buffer.write(b'binary \\xff\\xfe\\x00\\x9c line\\n')
            print('x' * 1_000_000, flush=True)
        if n % 500 == 0:
            await asyncio.sleep(0)
    print('noise done', flush=True)


@app.get('/flood')
async def start_the_flood() -> dict:
    if not flood['started']:
        flood['started'] = True
        asyncio.get_running_loop().create_task(make_noise())
    return {{'flooding': True}}


@ui.page('/')
def index() -> None:
    ui.label('a page')
    ui.link('other', '/other')


@ui.page('/other')
def other() -> None:
    ui.label('another page')
    ui.link('back', '/')


ui.run(reconnect_timeout=1.0)
"""


def test_a_flood_of_log_lines_is_captured_whole_and_judged(
    nicegui_storm, nicegui_server_factory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tmp_path / 'main.py'
    app.write_text(textwrap.dedent(NOISY))
    server = nicegui_server_factory(app)
    quiet = nicegui_storm('get', server=server, count=20)
    with urllib.request.urlopen(server.url('/flood'), timeout=10) as response:
        assert response.status == 200
    noisy = nicegui_storm('get', server=server, count=20)
    wait_for(lambda: 'noise done' in server.stdout(), timeout=120, what='the app to finish its flood')
    raw = server.raw_log()
    assert raw.count('noise line ') == LINES, 'lines of the raw log were lost'
    assert sum('noise line ' in r['message'] for r in server.records()) == LINES, 'records were lost'
    assert raw.count('x' * 1_000_000) == LINES // 20_000, 'a megabyte line was cut'
    assert raw.count('binary') == LINES // 20_000, 'a binary line was lost'
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with capsys.disabled():
        print(
            f'\nnoisy app: quiet storm {quiet.evidence.seconds:.1f} s, storm in the flood '
            f'{noisy.evidence.seconds:.1f} s ({noisy.evidence.seconds / quiet.evidence.seconds:.2f}x), '
            f'{LINES} lines captured, test process peak RSS {peak_mb:.0f} MB'
        )
