"""The plugin in anyone's pytest: a wheel of this tree in a fresh venv beside the usual browser-testing plugins.

A user who installs nicegui-e2e next to pytest-playwright, pytest-selenium, pytest-base-url, pytest-html and
pytest-rerunfailures must keep a working pytest: no option clash, no plugin loaded unless asked for, and no browser
lookup, signal handler, thread, process or NiceGUI import before one of our fixtures is used. None of that can be
seen from this repository's own venv (its root conftest and editable install hide it), so one module-scoped
fixture builds the wheel, installs it with those plugins into a venv outside the repository, and every case runs
that venv's pytest in a temporary project outside the repository, with fake browsers first on PATH that leave a
trace when anything looks for a browser. No server and no browser is started, but in the last case: the suite
the wheel ships (``--pyargs nicegui_e2e.suite``) storms an app written outside the repository, with the real
Chrome named explicitly, as a team that only installed the wheel would run it.

Opt-in is ``-p nicegui_e2e.plugin``, ``pytest_plugins = ['nicegui_e2e.plugin']`` in a conftest, or
``addopts = -p nicegui_e2e.plugin`` in the ini file; every flag of ours starts with ``--nicegui-e2e-``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PLUGIN = 'nicegui_e2e.plugin'
THIRD_PARTY = ('pytest-playwright', 'pytest-selenium', 'pytest-base-url', 'pytest-html', 'pytest-rerunfailures')
FAKE_BROWSERS = ('chromedriver', 'chromium', 'google-chrome', 'chromium-headless-shell')
RUN_TIMEOUT = 120  # seconds for one inner pytest; a normal one takes 2 to 5 (imports of playwright and selenium)
INSTALL_TIMEOUT = 900  # seconds for one uv step; warm cache: about 3
# What uv says when it cannot reach the registry (then a second try uses its cache with --offline).
NETWORK_SIGNS = (
    'error sending request',
    'tcp connect error',
    'dns error',
    'failed to lookup address',
    'connection refused',
    'network is unreachable',
    'timed out',
    'operation timed out',
)
# Left out of the inner runs' environment: anything that would load, block or configure plugins behind our back
# (PYTEST_ADDOPTS, PYTEST_PLUGINS, PYTEST_DISABLE_PLUGIN_AUTOLOAD), put this repository on sys.path (PYTHONPATH),
# point at another venv, or configure our plugin or NiceGUI's. PYTHONDONTWRITEBYTECODE goes too: without .pyc
# files every inner run compiles playwright, selenium and NiceGUI again (6 s instead of 2 s a run).
SCRUBBED_PREFIXES = ('PYTEST_', 'PYTHON', 'NICEGUI_E2E_', 'VIRTUAL_ENV', 'CONDA_', 'COV_CORE_')
SCRUBBED = ('CHROME_BINARY_LOCATION',)
# The inner runs reach no network: a browser lookup that falls through to a driver download (Selenium Manager,
# webdriver-manager) fails at once on a dead loopback proxy instead of going out, or waiting for a timeout.
DEAD_PROXY = 'http://127.0.0.1:9'
NO_NETWORK = {
    **{
        name: DEAD_PROXY
        for name in ('HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy')
    },
    'NO_PROXY': '',
    'no_proxy': '',
    'SE_OFFLINE': 'true',
}
BAD_SIGNS = ('Error while loading plugin', 'Error importing plugin', 'already used', 'already registered')
UNRELATED_TEST = 'def test_one(): assert 1 + 1 == 2\n'
PROBE_TEST = '''\
"""Records what the run started before any fixture was used; the coexistence test compares two runs."""
import json
import os
import re
import signal
import sys
import threading


def children() -> int:
    if not os.path.isdir('/proc'):
        return -1
    count = 0
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open(f'/proc/{pid}/stat') as stat:
                count += int(stat.read().rsplit(')', 1)[1].split()[1]) == os.getpid()
        except (OSError, IndexError, ValueError):
            pass
    return count


def test_record() -> None:
    state = {
        'nicegui_modules': sorted(m for m in sys.modules if m == 'nicegui' or m.startswith('nicegui.')),
        'signals': {name: repr(signal.getsignal(getattr(signal, name))) for name in ('SIGTERM', 'SIGINT', 'SIGHUP')},
        'threads': sorted(re.sub(r'^Thread-\\d+ ', '', t.name) for t in threading.enumerate()),
        'children': children(),
    }
    with open(os.environ['COEXISTENCE_PROBE'], 'w') as out:
        json.dump(state, out)
'''


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    project: str
    returncode: int
    output: str
    lookups: str  # what the fake browsers wrote: every call of one is a browser lookup

    def describe(self, versions: str) -> str:
        tail = '\n'.join(self.output.splitlines()[-40:])
        return (
            f'\n$ pytest {shlex.join(self.args)}   (in the {self.project} project)\nexit {self.returncode}\n'
            f'browser lookups: {self.lookups or "none"}\n{tail}\n--- installed: {versions}'
        )


@dataclass(frozen=True)
class Sandbox:
    """The venv with the wheel and the third-party plugins, and the temporary projects that use it."""

    root: Path
    venv: Path
    projects: Path
    fake_bin: Path
    marker: Path
    versions: str

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED_PREFIXES) and k not in SCRUBBED}
        env['PATH'] = os.pathsep.join([str(self.fake_bin), str(self.venv / 'bin'), os.environ.get('PATH', '')])
        env.update(NO_NETWORK, COLUMNS='200', PY_COLORS='0', NO_COLOR='1', **extra)
        return env

    def pytest(self, project: str, *args: str, timeout: float = RUN_TIMEOUT, **env: str) -> Run:
        self.marker.unlink(missing_ok=True)
        try:
            done = subprocess.run(
                [str(self.venv / 'bin' / 'pytest'), *args],
                check=False,
                cwd=self.projects / project,
                env=self.env(**env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as error:
            out = error.stdout.decode(errors='replace') if isinstance(error.stdout, bytes) else error.stdout or ''
            pytest.fail(f'pytest {shlex.join(args)} still running after {timeout} s (killed):\n{out[-3000:]}')
        lookups = self.marker.read_text().strip().replace('\n', '; ') if self.marker.exists() else ''
        return Run(tuple(args), project, done.returncode, done.stdout, lookups)


def _uv_binary() -> str:
    found = shutil.which('uv') or str(Path(sys.executable).with_name('uv'))
    if not Path(found).exists():
        pytest.skip('uv is not on PATH nor beside this interpreter: cannot build the wheel and the venv')
    return found


def _uv(uv: str, *args: str, cwd: Path) -> None:
    """One uv step; if the registry cannot be reached, the same step from uv's cache, else a one-line skip."""

    def attempt(extra: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [uv, *args, *extra],
            check=False,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )

    try:
        done = attempt(())
        if done.returncode != 0 and any(sign in done.stdout.lower() for sign in NETWORK_SIGNS):
            offline = attempt(('--offline',))
            if offline.returncode != 0:
                last = done.stdout.strip().splitlines()[-1].strip()
                pytest.skip(f"registry unreachable and not in uv's cache (uv {args[0]}): {last}")
            done = offline
    except subprocess.TimeoutExpired:
        pytest.skip(f'uv {" ".join(args[:2])} took over {INSTALL_TIMEOUT} s: registry too slow or unreachable')
    assert done.returncode == 0, f'uv {shlex.join(args)} failed:\n{done.stdout[-4000:]}'


def _copy_tree(target: Path) -> None:
    """The working tree as it is (uncommitted edits included), without what a build or a run leaves behind:
    setuptools writes build/ and *.egg-info into the tree it builds, and that must not be the repository."""
    top = {'.git', '.venv', '.tox', 'build', 'dist', 'artifacts', 'reports', '.pytest_cache'}

    def ignore(folder: str, names: list[str]) -> set[str]:
        left_out = {n for n in names if n == '__pycache__' or n.endswith('.egg-info')}
        return left_out | (top & set(names) if Path(folder) == REPO else set())

    shutil.copytree(REPO, target, ignore=ignore)


def _fake_browser(path: Path, marker: Path) -> None:
    path.write_text(f'#!/bin/sh\necho "$(basename "$0") $*" >> {shlex.quote(str(marker))}\nexit 1\n')
    path.chmod(0o755)


def _projects(root: Path) -> None:
    """Unrelated users' projects, each with its own ini file so that pytest's rootdir stops there."""
    layouts = {
        'plain': {'pytest.ini': '[pytest]\n'},
        'conftest': {'pytest.ini': '[pytest]\n', 'conftest.py': f'pytest_plugins = [{PLUGIN!r}]\n'},
        'pytest_ini': {'pytest.ini': f'[pytest]\naddopts = -p {PLUGIN}\n'},
    }
    for name, files in layouts.items():
        folder = root / name
        folder.mkdir(parents=True)
        for file, text in {**files, 'test_unrelated.py': UNRELATED_TEST, 'test_probe.py': PROBE_TEST}.items():
            (folder / file).write_text(text)


@pytest.fixture(scope='module')
def sandbox() -> Iterator[Sandbox]:
    """Built once per module: a wheel of this tree and a venv with it and the five third-party plugins, outside
    the repository so that nothing of the repository (conftest, pyproject, editable install) is seen."""
    uv = _uv_binary()
    root = Path(tempfile.mkdtemp(prefix='plugin-coexistence-'))  # no 'nicegui-e2e' in it: pytest prints the path
    if REPO == root or REPO in root.parents:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f'the temporary folder {root} is inside the repository, whose conftest would be seen')
    try:
        _copy_tree(root / 'source')
        _uv(uv, 'build', '--wheel', '--out-dir', str(root / 'dist'), str(root / 'source'), cwd=root)
        wheels = sorted((root / 'dist').glob('nicegui_e2e-*.whl'))
        assert len(wheels) == 1, f'expected one wheel, found {wheels}'
        venv = root / 'venv'
        _uv(uv, 'venv', '--quiet', '--python', sys.executable, str(venv), cwd=root)
        python = str(venv / 'bin' / 'python')
        _uv(uv, 'pip', 'install', '--quiet', '--python', python, str(wheels[0]), *THIRD_PARTY, cwd=root)
        freeze = subprocess.run(
            [uv, 'pip', 'freeze', '--python', python],
            check=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            timeout=60,
        ).stdout
        fake_bin, marker = root / 'fake-bin', root / 'browser-lookups.log'
        fake_bin.mkdir()
        for name in FAKE_BROWSERS:
            _fake_browser(fake_bin / name, marker)
        _projects(root / 'projects')
        wanted = re.compile(r'^(nicegui|nicegui-e2e|pytest[\w-]*|playwright|selenium|pluggy)==', re.IGNORECASE)
        versions = ', '.join(line for line in freeze.splitlines() if wanted.match(line)) or freeze
        box = Sandbox(root, venv, root / 'projects', fake_bin, marker, versions)
        origin = subprocess.run(
            [python, '-c', f'import importlib.util; print(importlib.util.find_spec({PLUGIN!r}).origin)'],
            check=False,
            cwd=root / 'projects' / 'plain',
            env=box.env(),
            stdout=subprocess.PIPE,
            text=True,
            timeout=60,
        ).stdout
        assert origin.startswith(str(venv)), f'{PLUGIN} comes from {origin!r}, not from the venv under test'
        yield box
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _flags(text: str) -> set[str]:
    return set(re.findall(r'(?<![\w-])--[A-Za-z][\w-]*', text))


def assert_clean(run: Run, box: Sandbox) -> None:
    """What every case needs: pytest exits 0, no plugin failed to load or clashed, nothing looked for a browser."""
    problems = [f'exit {run.returncode}'] if run.returncode != 0 else []
    problems += [f'{sign!r} in the output' for sign in BAD_SIGNS if sign in run.output]
    problems += [f'a browser lookup ran: {run.lookups}'] if run.lookups else []
    assert not problems, '; '.join(problems) + run.describe(box.versions)


def assert_one_passed(run: Run, box: Sandbox) -> None:
    assert re.search(r'\b1 passed\b', run.output) and not re.search(r'\b\d+ (failed|errors?)\b', run.output), (
        'not exactly one test passed' + run.describe(box.versions)
    )


@pytest.fixture(scope='module')
def help_without_opt_in(sandbox: Sandbox) -> Run:
    """``pytest --help`` with the third-party plugins only: case a, and the baseline for case c's new flags."""
    return sandbox.pytest('plain', '--help')


def test_help_without_opt_in_does_not_know_us(sandbox: Sandbox, help_without_opt_in: Run) -> None:
    """a: installing the wheel registers nothing; pytest-playwright's --headed is there, so a clash would show."""
    run = help_without_opt_in
    assert_clean(run, sandbox)
    assert 'nicegui-e2e' not in run.output.lower() and 'nicegui_e2e' not in run.output.lower(), (
        'pytest --help mentions nicegui-e2e without opt-in' + run.describe(sandbox.versions)
    )
    assert '--headed' in _flags(run.output), 'pytest-playwright is not loaded' + run.describe(sandbox.versions)


def test_help_with_opt_in_lists_prefixed_flags_beside_playwrights(sandbox: Sandbox, help_without_opt_in: Run) -> None:
    """c: opted in, our flags join pytest-playwright's --headed instead of fighting it, and all are prefixed."""
    run = sandbox.pytest('plain', '-p', PLUGIN, '--help')
    assert_clean(run, sandbox)
    flags = _flags(run.output)
    assert {'--nicegui-e2e-headed', '--headed'} <= flags, 'missing --nicegui-e2e-headed or --headed' + run.describe(
        sandbox.versions
    )
    assert help_without_opt_in.returncode == 0, 'the baseline pytest --help failed: see case a'
    ours = flags - _flags(help_without_opt_in.output)
    unprefixed = sorted(flag for flag in ours if not flag.startswith('--nicegui-e2e-'))
    assert not unprefixed, f'flags of ours without the --nicegui-e2e- prefix: {unprefixed}'


# f: NiceGUI's own plugins, measured on their own first (pytest 9.2.0, NiceGUI 3.18.0, pytest-playwright 0.10.0,
# pytest-selenium 4.1.0, pytest-base-url 2.1.0, pytest-html 4.2.0, pytest-rerunfailures 16.7, without nicegui-e2e):
# -p nicegui.testing.user_plugin, -p nicegui.testing.screen_plugin, both together, and -p nicegui.testing.plugin
# each exited 0 with the unrelated test passed, no clash and no browser lookup (plugin together with user_plugin
# only adds a PytestAssertRewriteWarning, 'Module already imported so cannot be rewritten'). So nothing is left out.
# One run loads user_plugin and screen_plugin, which is all that nicegui.testing.plugin re-exports, at one NiceGUI
# import (3 to 5 s) instead of two. Should a later release make them clash without us, the case skips itself and
# says what it saw.
NICEGUI_PLUGINS = ('nicegui.testing.user_plugin', 'nicegui.testing.screen_plugin')

UNRELATED_CASES = [
    pytest.param('plain', (), id='b-without-opt-in'),
    pytest.param('plain', ('-p', PLUGIN), id='d-opt-in-with-p'),
    pytest.param('conftest', (), id='d-opt-in-with-conftest-pytest_plugins'),
    pytest.param('pytest_ini', (), id='e-opt-in-with-pytest.ini-addopts'),
    pytest.param(
        'plain',
        (*[a for p in NICEGUI_PLUGINS for a in ('-p', p)], '-p', PLUGIN),
        id='f-opt-in-with-p-beside-nicegui-user-and-screen-plugins',
    ),
]


@pytest.mark.parametrize(('project', 'args'), UNRELATED_CASES)
def test_unrelated_test_passes(sandbox: Sandbox, project: str, args: tuple[str, ...]) -> None:
    """b, d, e, f: a user's own test passes as before, opted in or not, and opting in looks for no browser."""
    run = sandbox.pytest(project, *args, 'test_unrelated.py')
    nicegui_plugins = [a for a in args if a.startswith('nicegui.testing.')]
    if nicegui_plugins and (run.returncode != 0 or any(sign in run.output for sign in BAD_SIGNS)):
        alone = sandbox.pytest(
            project, '-p', 'no:nicegui_e2e', *[a for p in nicegui_plugins for a in ('-p', p)], 'test_unrelated.py'
        )
        if alone.returncode != 0 or any(sign in alone.output for sign in BAD_SIGNS):
            first = next((line for line in alone.output.splitlines() if 'Error' in line), f'exit {alone.returncode}')
            pytest.skip(f'{" + ".join(nicegui_plugins)} fail beside the third-party plugins without us: {first}')
    assert_clean(run, sandbox)
    assert_one_passed(run, sandbox)
    if project == 'plain' and not args:
        assert 'nicegui-e2e' not in run.output.lower() and 'nicegui_e2e' not in run.output.lower(), (
            'a run without opt-in shows nicegui-e2e' + run.describe(sandbox.versions)
        )


def test_opting_in_starts_nothing_before_a_fixture_is_used(sandbox: Sandbox) -> None:
    """No NiceGUI import, signal handler, thread or child process at load time: the same state as a run
    without us (which is not empty: pytest-rerunfailures starts a 127.0.0.1 listener thread whenever
    pytest-xdist is installed, and our wheel brings pytest-xdist)."""
    states: dict[str, dict[str, object]] = {}
    for name, args in (('without us', ('-p', 'no:nicegui_e2e')), ('with -p', ('-p', PLUGIN))):
        probe = sandbox.root / f'probe-{len(states)}.json'
        run = sandbox.pytest('plain', *args, 'test_probe.py', COEXISTENCE_PROBE=str(probe))
        assert_clean(run, sandbox)
        assert_one_passed(run, sandbox)
        states[name] = json.loads(probe.read_text())
    assert states['without us']['nicegui_modules'] == [], f'the probe is broken: {states["without us"]}'
    assert states['with -p'] == states['without us'], f'opting in started something: {states}'


TEAM_APP = """
from nicegui import app, ui


def menu() -> None:
    with ui.row():
        ui.link('Overview', '/overview')
        ui.link('Invoices', '/invoices')
        ui.link('Settings', '/settings')


@ui.page('/overview')
def overview() -> None:
    menu()
    ui.label('numbers of the month')


@ui.page('/invoices')
async def invoices() -> None:
    menu()
    ui.table(columns=[{'name': 'n', 'label': 'n', 'field': 'n'}], rows=[{'n': n} for n in range(20)])


@ui.page('/settings')
def settings() -> None:
    menu()
    ui.switch('dark mode')


@ui.page('/invoices/{number}')
def invoice(number: int) -> None:
    menu()
    ui.label(f'invoice {number}')


app.on_disconnect(lambda: None)
ui.run(title='Ledger', reconnect_timeout=1.5)
"""


def test_the_installed_suite_storms_an_app_outside_the_repository(sandbox: Sandbox) -> None:
    """Only the wheel: its built-in allow-list, its storm suite and its negative control, on a team's app with
    paths, links and handlers of its own and no test ids, in a project that knows nothing of this repository."""
    shell = Path('/usr/lib/chromium/chromium-headless-shell')  # Debian's, as the suite itself prefers it
    driver, browser = shutil.which('chromedriver'), str(shell) if shell.exists() else shutil.which('chromium')
    if not (driver and browser):
        pytest.skip('no Chrome and chromedriver on PATH (apt-get install chromium chromium-driver)')
    project = sandbox.projects / 'team'
    project.mkdir(exist_ok=True)
    (project / 'pytest.ini').write_text('[pytest]\n')
    (project / 'main.py').write_text(TEAM_APP)
    run = sandbox.pytest(
        'team',
        '-p',
        PLUGIN,
        '--pyargs',
        'nicegui_e2e.suite',
        '-p',
        'no:cacheprovider',
        '-rA',
        '-k',
        'get or link or history or detector',
        '--nicegui-e2e-storm-count=8',
        f'--nicegui-e2e-chromedriver={driver}',
        f'--nicegui-e2e-chrome-binary={browser}',
        timeout=300,
        NO_PROXY='127.0.0.1,localhost',
        no_proxy='127.0.0.1,localhost',
    )
    assert run.returncode == 0 and re.search(r'\b4 passed\b', run.output), (
        'the installed suite did not pass' + run.describe(sandbox.versions)
    )
    assert '/no-such' not in run.output and re.search(
        r'get @ connect .*: 8 navigations, [1-9]\d* race hits', run.output
    ), run.describe(sandbox.versions)
