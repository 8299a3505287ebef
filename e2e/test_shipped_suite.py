"""The README's one command on apps a team would write, from the app's file alone: every storm kind whose needs the
app offers runs and passes on a release without known bugs, and each that cannot apply is skipped in one line.

Each app is written into a temporary folder by the test and the shipped suite runs there in a pytest of its own,
with a team's defaults (NiceGUI as shipped, judged after NiceGUI's prune): this repository's ini settings do not
reach it. Once per run, not per release: the whole suite passes only on a release with no known bug.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nicegui
import pytest

from nicegui_e2e.corpus import fixed_later

pytestmark = [pytest.mark.storm, pytest.mark.robustness]

TUTORIAL = """
from nicegui import ui

ui.button('Click me', on_click=lambda: ui.notify('You clicked me!'))
ui.link('NiceGUI', 'https://nicegui.io')

ui.run()
"""
"""NiceGUI's own first example, in script mode: one page, a button, a link to another site."""

TWO_PAGES = """
from nicegui import ui


def page(title: str, other: str) -> None:
    ui.label(title)
    ui.link(f'to {other}', other)
    ui.button('Greet', on_click=lambda: ui.notify(f'hello from {title}'))
    ui.button('Next', on_click=lambda: ui.navigate.to(other)).props('id=next')


@ui.page('/')
def home() -> None:
    page('Home', '/settings')


@ui.page('/settings')
def settings() -> None:
    page('Settings', '/')


ui.run()
"""
"""Two pages linked to each other, each with a button of its own and one that makes the server navigate."""

NOTHING_TO_CLICK = """
from nicegui import ui

ui.label('A page to read')
ui.button('Not wired yet')  # a button without a handler: a click on it sends the server nothing

ui.run()
"""


README_COMMAND = (
    sys.executable,
    '-m',
    'pytest',
    '-p',
    'nicegui_e2e.plugin',
    '--pyargs',
    'nicegui_e2e.suite',
    '--nicegui-e2e-app',
    'main.py',
)
"""The README's command on the ``main.py`` beside it (its ``--pyargs`` form, without the workers): run here, and
timed by ``benchmarks/shipped_suite.py``."""


def shipped_suite(folder: Path, app: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """The README's command on ``app``, written to ``folder/main.py``, with few steps per storm."""
    (folder / 'main.py').write_text(textwrap.dedent(app).lstrip(), encoding='utf-8')
    env = {name: value for name, value in os.environ.items() if not name.startswith('NICEGUI_E2E_')}
    return subprocess.run(
        [
            *README_COMMAND,
            '--nicegui-e2e-storm-count',
            '10',
            '-rs',
            '-q',
            '-p',
            'no:cacheprovider',
            *arguments,
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(autouse=True)
def a_release_without_known_bugs() -> None:
    if fixed_later(nicegui.__version__):  # one no release fixes yet needs a page these apps do not have
        pytest.skip(f'NiceGUI {nicegui.__version__} has known bugs: the shipped suite must fail on it, naming them')


def outcome(run: subprocess.CompletedProcess[str]) -> str:
    """pytest's last line: how many passed, skipped, failed."""
    return run.stdout.strip().splitlines()[-1]


def skipped(run: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.split('nicegui-e2e: ', 1)[1] for line in run.stdout.splitlines() if line.startswith('SKIPPED')]


def test_the_tutorial_shape_runs_what_applies_and_skips_the_rest_in_one_line(tmp_path: Path) -> None:
    run = shipped_suite(tmp_path, TUTORIAL, '-n', '2')
    assert run.returncode == 0, run.stdout[-3000:]
    assert skipped(run) == [
        'the link storm cannot apply to this app: it needs a link inside the app on its first page, and the app '
        'offers none',
        'the server storm needs the element whose click makes the server navigate: name it with '
        '--nicegui-e2e-server-selector (a CSS selector)',
    ], run.stdout[-3000:]
    assert outcome(run).startswith('11 passed, 2 skipped in'), run.stdout[-3000:]


def test_a_page_with_nothing_the_server_listens_to_skips_the_early_clicks(tmp_path: Path) -> None:
    run = shipped_suite(tmp_path, NOTHING_TO_CLICK, '-k', 'early-click')
    assert run.returncode == 0, run.stdout[-3000:]
    assert skipped(run) == [
        'the early-click storm cannot apply to this app: it needs an element on its first page whose click the '
        'server listens for, and the app offers none'
    ], run.stdout[-3000:]


def test_two_pages_with_buttons_and_links_run_every_kind(tmp_path: Path) -> None:
    run = shipped_suite(tmp_path, TWO_PAGES, '-n', '2', '--nicegui-e2e-server-selector', '#next')
    assert run.returncode == 0 and not skipped(run), run.stdout[-3000:]
    assert outcome(run).startswith('13 passed in'), run.stdout[-3000:]
