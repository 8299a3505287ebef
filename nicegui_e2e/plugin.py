"""The pytest plugin: options, thin fixtures over the plain objects, a summary, artefacts on failure.

Every option has three spellings, as pytest-base-url does it: a command-line flag, an ini key and an
environment variable; the flag wins, then the variable, then the ini file, then the default. Fixture names
follow NiceGUI's own testing plugin where one exists (``main_file`` becomes ``nicegui_e2e_app``).
"""
from __future__ import annotations

import json
import os
import random
import re
import signal
import sys
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from . import browser as browser_module
from . import incident, lifecycle, timeline
from .browser import Browser, BrowserError, BrowserOptions
from .server import NiceGUIServer, ServerError, ServerOptions
from .storm import Cadence

PROPERTY = 'nicegui_storm'
VERSIONED_PACKAGES = ('nicegui', 'starlette', 'fastapi', 'uvicorn', 'python-socketio', 'python-engineio')


@dataclass(frozen=True)
class Option:
    name: str  # ini key; the flag is --NAME with dashes, the variable NICEGUI_E2E_NAME upper-cased
    help: str
    default: str


OPTIONS = (
    Option('app', 'the NiceGUI app file to serve (NiceGUI\'s main_file)', 'apps/multipage.py'),
    Option('disconnect_fix', 'on: the #4304 guard is installed; off: as shipped; bug: pre-2.11.1 behaviour', 'on'),
    Option('storm_count', 'navigations per storm', '30'),
    Option('storm_cadence', 'pause between navigations: 150, 0-400, sweep:0-400 or connect', 'connect'),
    Option('handshake_delay_ms', 'browser fault: hold the handshake back this long after connect', '1000'),
    Option('server_handshake_delay_ms', 'server fault: delay handshake processing this long', '0'),
    Option('server_host', 'address the server binds (loopback unless you ask otherwise)', '127.0.0.1'),
    Option('chromedriver', 'chromedriver to use (default: found on PATH, offline)', ''),
    Option('chrome_binary', 'Chrome or Chromium binary (default: the headless shell where installed, '
                           'else Chrome found on PATH)', ''),
    Option('allowlist', 'TOML file of incident signatures allowed to pass', 'allowlist.toml'),
    Option('artifacts', 'folder for failure artefacts (per test, xdist-safe)', 'artifacts'),
    Option('storm_seed', 'seed for jittered cadences (default: a new one per run, shown in the header)', ''),
    Option('report', 'write every storm of the run as JSON to this file (the matrix report reads it)', ''),
)


def _flag(option: Option) -> str:
    return '--' + option.name.replace('_', '-')


def _env(option: Option) -> str:
    return 'NICEGUI_E2E_' + option.name.upper()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup('nicegui-e2e', 'NiceGUI end-to-end connection lifecycle')
    for option in OPTIONS:
        group.addoption(_flag(option), dest=f'nicegui_e2e_{option.name}', default=None,
                        help=f'{option.help} (env {_env(option)}, ini nicegui_e2e_{option.name}; '
                             f'default {option.default or "none"})')
        parser.addini(f'nicegui_e2e_{option.name}', option.help, default=option.default)
    group.addoption('--headed', action='store_true', default=False, help='show the browser window')


def setting(config: pytest.Config, name: str) -> str:
    option = next(o for o in OPTIONS if o.name == name)
    value = config.getoption(f'nicegui_e2e_{name}')
    if value is None:
        value = os.environ.get(_env(option))
    if value is None:
        value = config.getini(f'nicegui_e2e_{name}')
    return str(value)


def _int_setting(config: pytest.Config, name: str) -> int:
    value = setting(config, name)
    try:
        return int(value)
    except ValueError:
        raise pytest.UsageError(f'{_flag(next(o for o in OPTIONS if o.name == name))} wants a whole number, '
                                f'not {value!r}') from None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line('markers', 'storm: a navigation storm against a real NiceGUI server')
    if setting(config, 'disconnect_fix') not in ('on', 'off', 'bug'):
        raise pytest.UsageError('--disconnect-fix must be on, off or bug')
    try:
        Cadence.parse(setting(config, 'storm_cadence'))
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    for name in ('storm_count', 'handshake_delay_ms', 'server_handshake_delay_ms'):
        _int_setting(config, name)
    config.stash[SEED] = _seed(config)
    if config.pluginmanager.hasplugin('xdist'):
        config.pluginmanager.register(XdistSeed(config), 'nicegui_e2e_xdist')
    _teardown_on_sigterm()


SEED = pytest.StashKey[int]()


def _seed(config: pytest.Config) -> int:
    """One seed for the whole run: a worker takes the controller's, so every worker jitters alike and the
    header's seed reproduces the run."""
    workerinput = getattr(config, 'workerinput', None)
    if workerinput is not None and 'nicegui_e2e_seed' in workerinput:
        return int(workerinput['nicegui_e2e_seed'])
    if setting(config, 'storm_seed'):
        return _int_setting(config, 'storm_seed')
    return random.randrange(1, 1_000_000)


class XdistSeed:
    """Hands the controller's seed to each xdist worker."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput['nicegui_e2e_seed'] = self.config.stash[SEED]


def _teardown_on_sigterm() -> None:
    """A CI runner or ``timeout`` ends pytest with SIGTERM, which skips every finalizer and leaves Chrome and
    the servers running; as an interrupt it runs them, as Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        def interrupt(signum: int, _frame: Any) -> None:
            raise KeyboardInterrupt(f'signal {signum}')
        signal.signal(signal.SIGTERM, interrupt)


def versions() -> dict[str, str]:
    found = {}
    for package in VERSIONED_PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return found


def pytest_report_header(config: pytest.Config) -> list[str]:
    found = versions()
    try:
        choice = browser_module.resolve(setting(config, 'chromedriver') or None,
                                        setting(config, 'chrome_binary') or None,
                                        headed=bool(config.getoption('headed')))
        driver = f'chromedriver {choice.driver} ({choice.source}), browser {choice.binary}'
    except BrowserError as error:
        driver = f'no browser: {error}'
    return [
        'nicegui-e2e: ' + ', '.join(f'{k} {v}' for k, v in found.items()),
        f'nicegui-e2e: disconnect fix {setting(config, "disconnect_fix")}, cadence {setting(config, "storm_cadence")}, '
        f'{setting(config, "storm_count")} navigations per storm, handshake delay browser '
        f'{setting(config, "handshake_delay_ms")} ms / server {setting(config, "server_handshake_delay_ms")} ms',
        f'nicegui-e2e: {driver}',
        f'nicegui-e2e: storm seed {config.stash[SEED]} (repeat with --storm-seed {config.stash[SEED]})',
    ]


def _resolve_app(config: pytest.Config, app: str | os.PathLike[str]) -> Path:
    path = Path(app)
    if not path.is_absolute():
        path = Path(config.rootpath) / path
    return path


def _attempt(action: Callable[[], Any], expected: type[Exception]) -> str:
    """Run ``action``; an expected failure comes back as its one-line message, to be failed outside the
    ``except`` block so that pytest shows that line and no chained traceback."""
    try:
        action()
    except expected as error:
        return str(error)
    return ''


ServerFactory = Callable[..., NiceGUIServer]


@pytest.fixture(scope='session')
def nicegui_e2e_app(pytestconfig: pytest.Config) -> Path:
    """The app file under test (NiceGUI's ``main_file``)."""
    return _resolve_app(pytestconfig, setting(pytestconfig, 'app'))


@pytest.fixture(scope='session')
def nicegui_server_factory(pytestconfig: pytest.Config, nicegui_e2e_app: Path,
                           tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """Servers by configuration, started on first use and kept for the session (one set per xdist worker)."""
    servers: dict[tuple[Any, ...], NiceGUIServer] = {}

    def factory(app: str | os.PathLike[str] | None = None, *, disconnect_fix: str | None = None,
                server_handshake_delay_ms: int | None = None, reconnect_timeout: float | None = None,
                ) -> NiceGUIServer:
        options = ServerOptions(
            app=_resolve_app(pytestconfig, app) if app is not None else nicegui_e2e_app,
            host=setting(pytestconfig, 'server_host'),
            disconnect_fix=disconnect_fix or setting(pytestconfig, 'disconnect_fix'),
            handshake_delay=(server_handshake_delay_ms if server_handshake_delay_ms is not None
                             else _int_setting(pytestconfig, 'server_handshake_delay_ms')) / 1000,
            reconnect_timeout=reconnect_timeout)
        key = (options.app, options.host, options.disconnect_fix, options.handshake_delay, reconnect_timeout)
        server = servers.get(key)
        if server is None or not server.running:
            if server is not None:
                server.stop()
            server = NiceGUIServer(options, tmp_path_factory.mktemp(f'server-{options.app.stem}'))
            problem = _attempt(server.start, ServerError)
            if problem:
                pytest.fail(f'nicegui-e2e: {problem}', pytrace=False)
            servers[key] = server
        return server
    try:
        yield factory
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture
def nicegui_server(nicegui_server_factory: ServerFactory) -> NiceGUIServer:
    """The server for the configured app and fix."""
    return nicegui_server_factory()


@pytest.fixture(scope='session')
def nicegui_browser(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """One headless Chrome per session (per xdist worker), reset before each storm."""
    options = BrowserOptions(driver=setting(pytestconfig, 'chromedriver') or None,
                             binary=setting(pytestconfig, 'chrome_binary') or None,
                             headed=bool(pytestconfig.getoption('headed')),
                             handshake_delay_ms=_int_setting(pytestconfig, 'handshake_delay_ms'))
    started: list[Browser] = []
    problem = _attempt(lambda: started.append(Browser(options, tmp_path_factory.mktemp('chrome'))), BrowserError)
    if problem:
        pytest.fail(f'nicegui-e2e: {problem}', pytrace=False)
    browser = started[0]
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture(scope='session')
def nicegui_allowlist(pytestconfig: pytest.Config) -> list[incident.AllowEntry]:
    path = Path(pytestconfig.rootpath) / setting(pytestconfig, 'allowlist')
    if not path.exists() and setting(pytestconfig, 'allowlist') == 'allowlist.toml':
        return []
    entries: list[list[incident.AllowEntry]] = []
    problem = _attempt(lambda: entries.append(incident.load_allowlist(path)), incident.AllowListError)
    if problem:
        pytest.fail(f'nicegui-e2e: {problem}', pytrace=False)
    return entries[0]


StormRunner = Callable[..., lifecycle.StormReport]


@pytest.fixture
def nicegui_storm(request: pytest.FixtureRequest, nicegui_server_factory: ServerFactory,
                  nicegui_browser: Browser, nicegui_allowlist: list[incident.AllowEntry]) -> StormRunner:
    """Run a storm and get its judged report; the report also lands in the summary and, on failure, in
    the artefacts."""
    config = request.config
    reports: list[lifecycle.StormReport] = []
    request.node.nicegui_e2e_reports = reports
    request.node.nicegui_e2e_browser = nicegui_browser

    def run(scenario: str, *, count: int | None = None, cadence: str | None = None,
            server: NiceGUIServer | None = None, expect_race: bool = True,
            handshake_delay_ms: int | None = None) -> lifecycle.StormReport:
        delay = handshake_delay_ms if handshake_delay_ms is not None else _int_setting(config, 'handshake_delay_ms')
        if delay != nicegui_browser.options.handshake_delay_ms:
            nicegui_browser.set_handshake_delay(delay)
        report = lifecycle.run(
            server or nicegui_server_factory(), nicegui_browser, scenario,
            count=count if count is not None else _int_setting(config, 'storm_count'),
            cadence=Cadence.parse(cadence or setting(config, 'storm_cadence')),
            expect_race=expect_race, allowlist=nicegui_allowlist, versions=versions(),
            seed=config.stash[SEED])
        reports.append(report)
        request.node.user_properties.append((PROPERTY, json.dumps(_summary_data(report))))
        return report
    return run


def _summary_data(report: lifecycle.StormReport) -> dict[str, Any]:
    e = report.evidence
    return {
        'line': report.line, 'nicegui': report.server_info.get('nicegui'), 'fix': report.server_info.get('fix'),
        'mode': report.server_info.get('disconnect_fix'), 'bug_present': report.server_info.get('bug_present'),
        'scenario': e.scenario, 'cadence': e.cadence, 'expects_4304': report.expects_4304,
        'navigations': e.navigations, 'race_hits': e.race_hits, 'keyerrors': e.keyerrors,
        'other_errors': len(e.judged.failing) - len(e.judged.issue_4304), 'allowed': len(e.judged.allowed),
        'unconnected': e.unconnected,
        'leaked': e.leaked_clients + e.dead_mappings, 'seconds': round(e.seconds, 2),
        'signatures': {name: list(v) for name, v in e.judged.signature_counts().items()},
        'allowed_by': sorted({entry.signature for _, entry in e.judged.allowed}),
        'live_entries': sorted({entry.signature for entry in e.judged.live}),
        'failures': report.verdict.failures, 'notes': report.verdict.notes,
    }


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    reports = getattr(item, 'nicegui_e2e_reports', None)
    if reports and report.when == 'call' and report.failed:
        folder = _artifact_folder(item)
        _write_artifacts(folder, reports, getattr(item, 'nicegui_e2e_browser', None))
        report.sections.append(('nicegui-e2e artefacts', str(folder)))


def _write_run_report(path: Path, rows: list[tuple[str, str, dict[str, Any]]], stale: list[str]) -> None:
    """One JSON file per run: what the matrix report turns into a table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {'versions': versions(), 'python': sys.version.split()[0], 'stale_allow_entries': stale,
            'storms': [{'nodeid': nodeid, 'outcome': outcome, **data} for nodeid, outcome, data in rows]}
    path.write_text(json.dumps(data, indent=1), encoding='utf-8')


def _artifact_folder(item: pytest.Item) -> Path:
    name = re.sub(r'[^\w.-]+', '_', item.nodeid).strip('_')[:180]
    folder = Path(item.config.rootpath) / setting(item.config, 'artifacts') / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_artifacts(folder: Path, reports: list[lifecycle.StormReport], browser: Browser | None) -> None:
    """Everything needed to explain the failure without running it again."""
    for n, report in enumerate(reports, start=1):
        prefix = f'storm{n}-{report.evidence.scenario}'
        (folder / f'{prefix}-server.log').write_text(report.raw_log, encoding='utf-8')
        (folder / f'{prefix}-records.jsonl').write_text(
            ''.join(json.dumps(r) + '\n' for r in report.records), encoding='utf-8')
        (folder / f'{prefix}-console.json').write_text(json.dumps(report.console, indent=1), encoding='utf-8')
        (folder / f'{prefix}-events.json').write_text(json.dumps(report.events, indent=1), encoding='utf-8')
        (folder / f'{prefix}-timeline.svg').write_text(timeline.render(report), encoding='utf-8')
        (folder / f'{prefix}-verdict.txt').write_text(
            '\n'.join([report.line, *report.verdict.failures, *report.verdict.notes]) + '\n', encoding='utf-8')
    if browser is not None:
        browser.screenshot(folder / 'screenshot.png')


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    rows = []
    used: set[str] = set()
    live: set[str] = set()
    for outcome in ('passed', 'failed', 'error', 'xfailed', 'xpassed'):
        for report in terminalreporter.stats.get(outcome, []):
            for name, value in getattr(report, 'user_properties', []):
                if name == PROPERTY and getattr(report, 'when', 'call') == 'call':
                    data = json.loads(value)
                    rows.append((report.nodeid, outcome, data))
                    used.update(data['allowed_by'])
                    live.update(data['live_entries'])
    if not rows:
        return
    if setting(config, 'report'):
        _write_run_report(Path(setting(config, 'report')), rows, sorted(live - used))
    write = terminalreporter.write_line
    terminalreporter.section('nicegui-e2e storms')
    for nodeid, outcome, data in rows:
        write(f'{outcome.upper():7} {nodeid}')
        write(f'        NiceGUI {data["nicegui"]}, fix: {data["fix"]}')
        write(f'        {data["line"]}')
        for signature, (count, allowed) in sorted(data['signatures'].items()):
            write(f'        {count:4d} x {signature}{"  (allowed)" if allowed else ""}')
        for note in data['notes']:
            write(f'        note: {note}')
    for signature in sorted(live - used):
        write(f'stale allow-list entry (matched nothing in this run): {signature}')
