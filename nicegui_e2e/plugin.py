"""The pytest plugin: settings, thin fixtures over the plain objects, enforced verdicts, a summary, artefacts.

Opt-in, as NiceGUI's own testing plugins are: ``-p nicegui_e2e.plugin``, ``pytest_plugins =
['nicegui_e2e.plugin']`` in a conftest, or ``addopts = -p nicegui_e2e.plugin`` in the ini file. Loading it
registers options and reads settings, nothing more: no browser is looked up, no signal handler installed and
nothing of NiceGUI imported until a fixture of ours is first used. Fixture names follow NiceGUI's own plugin
where one exists (``main_file`` becomes ``nicegui_e2e_app``).
"""
from __future__ import annotations

import functools
import json
import os
import random
import re
import shutil
import signal
import threading
from collections.abc import Generator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Callable

import pytest

from . import incident, lifecycle, settings, timeline
from .browser import Browser, BrowserError, BrowserOptions
from .collector import StormCollector, versions
from .disconnect import UPSTREAM_GUARD_SINCE, should_have_guard
from .server import NiceGUIServer, ServerError, ServerOptions
from .settings import Settings
from .storm import Cadence, StormSkipped
from .storm import require as storm_require
from .summary import PROPERTY
from .wire import Mode

BUILTIN_ALLOWLIST = Path(__file__).with_name('allowlist.toml')
ARTIFACTS_MARK = '.nicegui-e2e'
"""Lists, in the artefacts folder, the test folders this plugin wrote there: at session start those go, and
nothing else (a tox cell's own artefacts folder below it, or a user's files, stay)."""

SETTINGS = pytest.StashKey[Settings]()
SEED = pytest.StashKey[int]()
COLLECTOR = pytest.StashKey[StormCollector]()
STORMS = pytest.StashKey[list[lifecycle.StormReport]]()
BROWSER = pytest.StashKey[Browser]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup('nicegui-e2e', 'NiceGUI end-to-end connection lifecycle')
    for spec in settings.SPECS:
        help_text = (f'{spec.help} (env {settings.env(spec.name)}, ini {settings.ini(spec.name)}; '
                     f'default {spec.default or "none"})')
        if spec.switch:
            group.addoption(settings.flag(spec.name), dest=settings.ini(spec.name), action='store_const',
                            const='on', default=None, help=help_text)
        else:
            group.addoption(settings.flag(spec.name), dest=settings.ini(spec.name), default=None, help=help_text)
        parser.addini(settings.ini(spec.name), spec.help, default='')


def pytest_configure(config: pytest.Config) -> None:
    try:
        config.stash[SETTINGS] = settings.read(config)
    except settings.SettingError as error:
        raise pytest.UsageError(f'nicegui-e2e: {error}') from None
    problem = _named_file_problem(config, config.stash[SETTINGS])
    if problem:
        raise pytest.UsageError(f'nicegui-e2e: {problem}')
    config.addinivalue_line('markers', 'storm: a navigation storm against a real NiceGUI server')
    config.addinivalue_line('markers', 'nicegui_e2e_app(path): the app file this test\'s storms run against')
    config.addinivalue_line('markers', 'nicegui_e2e_pages(*paths): the pages this test\'s storms visit')
    config.stash[SEED] = _seed(config)
    chosen = config.stash[SETTINGS]
    config.stash[COLLECTOR] = StormCollector(_resolve_path(config, chosen.report) if chosen.report else None,
                                             config.stash[SEED])
    config.pluginmanager.register(config.stash[COLLECTOR], 'nicegui_e2e_collector')
    if config.pluginmanager.hasplugin('xdist'):
        config.pluginmanager.register(XdistSeed(config), 'nicegui_e2e_xdist')
    if not hasattr(config, 'workerinput'):
        _clear_artifacts(_artifacts_root(config))


NAMED_FILES = (('app', os.R_OK), ('allowlist', os.R_OK), ('chromedriver', os.X_OK), ('chrome_binary', os.X_OK))


def _named_file_problem(config: pytest.Config, chosen: Settings) -> str:
    """A file the user named must be there before anything starts, so the run ends with one line instead of
    every test failing alike; a default that is missing fails only where a fixture needs it."""
    for name, access in NAMED_FILES:
        value = getattr(chosen, name)
        if not value or chosen.sources[name] == 'default':
            continue
        path = app_target(config, value)[0] if name == 'app' else _resolve_path(config, value)
        problem = ''
        if not path.is_file():
            problem = f'no such file ({path})'
        elif not os.access(path, access):
            problem = f'not {"executable" if access == os.X_OK else "readable"} ({path})'
        elif name == 'allowlist':
            problem = _attempt(functools.partial(incident.load_allowlist, path), incident.AllowListError)
        if problem:
            return f'{name} = {value!r} from {settings.where(settings.SPEC[name], chosen.sources[name])}: {problem}'
    return ''


def _seed(config: pytest.Config) -> int:
    """One seed for the whole run: a worker takes the controller's, so every worker jitters alike and the
    header's seed reproduces the run."""
    workerinput = getattr(config, 'workerinput', None)
    if workerinput is not None and 'nicegui_e2e_seed' in workerinput:
        return int(workerinput['nicegui_e2e_seed'])
    chosen = config.stash[SETTINGS].storm_seed
    return chosen if chosen is not None else random.randrange(1, 1_000_000)


class XdistSeed:
    """Hands the controller's seed to each xdist worker."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput['nicegui_e2e_seed'] = self.config.stash[SEED]


def _artifacts_root(config: pytest.Config) -> Path:
    return Path(config.rootpath) / config.stash[SETTINGS].artifacts


def _clear_artifacts(root: Path) -> None:
    """Artefacts describe this run only; what an earlier run of ours wrote goes, nothing else is touched."""
    mark = root / ARTIFACTS_MARK
    if not mark.is_file():
        return
    for name in set(mark.read_text(encoding='utf-8').splitlines()):
        if name and '/' not in name and name not in ('.', '..'):
            shutil.rmtree(root / name, ignore_errors=True)
    mark.unlink()


def _teardown_on_sigterm() -> None:
    """A CI runner or ``timeout`` ends pytest with SIGTERM, which skips every finalizer and leaves Chrome and
    the servers running; as an interrupt it runs them, as Ctrl-C does. Installed when a fixture of ours
    starts something, never merely because the plugin is loaded."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        def interrupt(signum: int, _frame: Any) -> None:
            raise KeyboardInterrupt(f'signal {signum}')
        signal.signal(signal.SIGTERM, interrupt)


def fix_forecast(mode: Mode, nicegui_version: str | None) -> str:
    """What the servers will do to NiceGUI's disconnect handler, said before any starts (each server still
    probes the handler itself and its storms say what it found)."""
    if mode == 'off':
        return 'off: NiceGUI as shipped; a #4304 KeyError fails the storm'
    if mode == 'bug':
        return 'bug: the pre-2.11.1 lookup put back on purpose; every storm that hits the race must show #4304'
    if nicegui_version and not should_have_guard(nicegui_version):
        return (f'on: NiceGUI {nicegui_version} predates the upstream #4304 guard ({UPSTREAM_GUARD_SINCE}); '
                'the suite patches handle_disconnect in the servers it starts')
    return 'on: the suite guards handle_disconnect only where NiceGUI lacks the guard, and fails the storm ' \
           'where a NiceGUI that should have it does not'


def pytest_report_header(config: pytest.Config) -> list[str]:
    chosen = config.stash[SETTINGS]
    found = versions()
    changed = ', '.join(f'{name}={value} ({source})' for name, (value, source) in chosen.changed().items())
    return [
        'nicegui-e2e: ' + ', '.join(f'{k} {v}' for k, v in found.items()),
        f'nicegui-e2e: disconnect fix {fix_forecast(chosen.disconnect_fix, found.get("nicegui"))}',
        f'nicegui-e2e: settings not at their default: {changed or "none"}',
        f'nicegui-e2e: storm seed {config.stash[SEED]} (repeat with {settings.flag("storm_seed")} '
        f'{config.stash[SEED]})',
    ]


def _resolve_path(config: pytest.Config, path: str | Path) -> Path:
    resolved = Path(path)
    return resolved if resolved.is_absolute() else Path(config.rootpath) / resolved


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
def nicegui_e2e_settings(pytestconfig: pytest.Config) -> Settings:
    """The run's settings, read once from flags, environment and ini file."""
    return pytestconfig.stash[SETTINGS]


MODULE_APP = re.compile(r'(?P<module>[A-Za-z_][\w.]*):(?P<attribute>[A-Za-z_]\w*)')


def app_target(config: pytest.Config, app: str | Path, app_dir: Path | None = None) -> tuple[Path, str, str]:
    """(file, module, attribute) of an app given as a file (``main.py``) or, as uvicorn names one, as
    ``pkg.web:api``: an ASGI app that mounts NiceGUI with ``ui.run_with``, imported from ``app_dir`` (default:
    the rootdir), as uvicorn's ``--app-dir``."""
    match = MODULE_APP.fullmatch(str(app))
    if match is None or _resolve_path(config, app).is_file():
        return _resolve_path(config, app), '', ''
    base = (app_dir or Path(config.rootpath)) / match['module'].replace('.', '/')
    return (base / '__init__.py' if base.is_dir() else base.with_suffix('.py')), match['module'], match['attribute']


def _configured_app(config: pytest.Config, chosen: Settings) -> str:
    """The ``app`` setting, else NiceGUI's own ``main_file`` ini key (where NiceGUI's testing plugin registered
    it), else ``main.py``, as NiceGUI's plugin finds it."""
    if chosen.app:
        return chosen.app
    try:
        return str(config.getini('main_file') or 'main.py')
    except ValueError:  # NiceGUI's plugin is not loaded, so the key is unknown
        return 'main.py'


@pytest.fixture(scope='session')
def nicegui_e2e_app(pytestconfig: pytest.Config, nicegui_e2e_settings: Settings) -> Path:
    """The file of the app under test (of its module, for ``module:attribute``)."""
    return app_target(pytestconfig, _configured_app(pytestconfig, nicegui_e2e_settings))[0]


@pytest.fixture(scope='session')
def nicegui_server_factory(pytestconfig: pytest.Config, nicegui_e2e_settings: Settings,
                           tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """Servers by configuration, started on first use and kept for the session (one set per xdist worker)."""
    _teardown_on_sigterm()
    chosen = nicegui_e2e_settings
    servers: dict[tuple[Any, ...], NiceGUIServer] = {}
    broken: dict[tuple[Any, ...], str] = {}  # a server that could not start fails every later test at once

    def factory(app: str | Path | None = None, *, app_dir: Path | None = None, disconnect_fix: Mode | None = None,
                server_handshake_delay_ms: int | None = None, reconnect_timeout: float | None = None,
                server_disconnect_delay_ms: int = 0) -> NiceGUIServer:
        path, module, attribute = app_target(pytestconfig, app or _configured_app(pytestconfig, chosen), app_dir)
        options = ServerOptions(
            app=path, module=module, attribute=attribute,
            host=chosen.server_host, address=chosen.server_address,
            disconnect_fix=disconnect_fix or chosen.disconnect_fix,
            handshake_delay=(server_handshake_delay_ms if server_handshake_delay_ms is not None
                             else chosen.server_handshake_delay_ms) / 1000,
            disconnect_delay=server_disconnect_delay_ms / 1000,
            reconnect_timeout=reconnect_timeout if reconnect_timeout is not None else chosen.reconnect_timeout)
        key = (options.app, attribute, options.host, options.address, options.disconnect_fix, options.handshake_delay,
               options.disconnect_delay, options.reconnect_timeout)
        if key in broken:
            pytest.fail(f'nicegui-e2e: {broken[key]} (as for an earlier test)', pytrace=False)
        server = servers.get(key)
        if server is None or not server.running:
            if server is not None:
                server.stop()
            server = NiceGUIServer(options, tmp_path_factory.mktemp(f'server-{options.app.stem}'))
            problem = _attempt(server.start, ServerError)
            if problem and not options.app.is_file():
                problem += f'; name the app with {settings.flag("app")} or the ini key {settings.ini("app")}'
            if problem:
                broken[key] = problem
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
def nicegui_chrome_arguments() -> list[str]:
    """Extra Chrome command-line arguments; override this fixture to add your own (e.g. ``--lang=de``)."""
    return []


def _start_browser(chosen: Settings, arguments: list[str], tmp_path_factory: pytest.TempPathFactory,
                   lane: int = 0) -> Browser:
    """A browser as the settings ask for it; one that cannot be had fails the test in one line."""
    options = BrowserOptions(driver=chosen.chromedriver or None, binary=chosen.chrome_binary or None,
                             headed=chosen.headed, arguments=tuple(arguments), remote_url=chosen.remote_url,
                             capabilities=chosen.remote_capabilities, devtools=chosen.devtools, lane=lane)
    started: list[Browser] = []
    problem = _attempt(lambda: started.append(Browser(options, tmp_path_factory.mktemp('chrome'))), BrowserError)
    if problem:
        pytest.fail(f'nicegui-e2e: {problem}', pytrace=False)
    return started[0]


@pytest.fixture(scope='session')
def nicegui_browser(nicegui_e2e_settings: Settings, nicegui_chrome_arguments: list[str],
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """One headless Chrome per session (per xdist worker), local or on the Grid named by ``remote_url``. It holds
    no handshake back unless a storm asks, and a storm starts it from a clean state: one blank tab, no cookies,
    no local or session storage."""
    _teardown_on_sigterm()
    browser = _start_browser(nicegui_e2e_settings, nicegui_chrome_arguments, tmp_path_factory)
    try:
        yield browser
    finally:
        browser.quit()


CrowdBrowsers = Callable[[int], list[Browser]]


@pytest.fixture(scope='session')
def nicegui_crowd_browsers(nicegui_browser: Browser, nicegui_e2e_settings: Settings,
                           nicegui_chrome_arguments: list[str],
                           tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrowdBrowsers]:
    """``take(n)``: ``n`` browsers for a crowd, ``nicegui_browser`` first; the others start when a crowd first
    needs them and are kept for the session."""
    others: list[Browser] = []

    def take(n: int) -> list[Browser]:
        while len(others) < n - 1:
            others.append(_start_browser(nicegui_e2e_settings, nicegui_chrome_arguments, tmp_path_factory,
                                         lane=len(others) + 1))
        return [nicegui_browser, *others[:n - 1]]
    try:
        yield take
    finally:
        for browser in others:
            browser.quit()


@pytest.fixture(scope='session')
def nicegui_allowlist(pytestconfig: pytest.Config, nicegui_e2e_settings: Settings) -> list[incident.AllowEntry]:
    """The built-in allow-list, plus the user's file where one is named."""
    paths = [BUILTIN_ALLOWLIST]
    if nicegui_e2e_settings.allowlist:
        paths.append(_resolve_path(pytestconfig, nicegui_e2e_settings.allowlist))
    entries: list[incident.AllowEntry] = []
    for path in paths:
        problem = _attempt(lambda path=path: entries.extend(incident.load_allowlist(path)),  # type: ignore[misc]
                           incident.AllowListError)
        if problem:
            pytest.fail(f'nicegui-e2e: {problem}', pytrace=False)
    return entries


StormRunner = Callable[..., lifecycle.StormReport]


@pytest.fixture
def nicegui_storm(request: pytest.FixtureRequest, nicegui_e2e_settings: Settings,
                  nicegui_server_factory: ServerFactory, nicegui_crowd_browsers: CrowdBrowsers,
                  nicegui_allowlist: list[incident.AllowEntry]) -> StormRunner:
    """Run a storm and get its judged report. Its verdict is enforced when the test ends, whether or not the
    test called ``report.check()``; the report also lands in the summary and, on failure, in the artefacts."""
    chosen = nicegui_e2e_settings
    reports: list[lifecycle.StormReport] = []  # this attempt's: a rerun starts afresh
    request.node.stash[STORMS] = reports
    request.node.stash[BROWSER] = nicegui_crowd_browsers(1)[0]

    app_marker = request.node.get_closest_marker('nicegui_e2e_app')
    pages_marker = request.node.get_closest_marker('nicegui_e2e_pages')

    def run(scenario: str, *, count: int | None = None, cadence: str | None = None,
            server: NiceGUIServer | None = None, pages: list[str] | None = None, expect_race: bool = True,
            handshake_delay_ms: int | None = None, crowd: int | None = None,
            prune: bool | None = None, expect_error_pages: bool = False) -> lifecycle.StormReport:
        delay = handshake_delay_ms if handshake_delay_ms is not None else chosen.handshake_delay_ms
        size = crowd if crowd is not None else chosen.crowd
        try:
            storm_require(scenario, chosen.server_selector)
        except StormSkipped as reason:
            pytest.skip(f'nicegui-e2e: {reason}')
        target = server or nicegui_server_factory(*app_marker.args if app_marker else ())
        chosen_pages = pages or (list(pages_marker.args) if pages_marker else None) or list(chosen.pages) or None
        check = lifecycle.PageCheck(selector=chosen.check_selector, text=chosen.check_text)
        browsers = nicegui_crowd_browsers(size)
        try:
            with ExitStack() as delays:
                for browser in browsers:
                    delays.enter_context(browser.handshake_delay(delay))
                report = lifecycle.run(
                    target, browsers, scenario, pages=chosen_pages, server_selector=chosen.server_selector,
                    check=check, count=count if count is not None else chosen.storm_count,
                    cadence=Cadence.parse(cadence) if cadence is not None else chosen.storm_cadence,
                    expect_race=expect_race, allowlist=nicegui_allowlist, versions=versions(),
                    seed=request.config.stash[SEED], prune=chosen.prune if prune is None else prune,
                    expect_error_pages=expect_error_pages)
        except StormSkipped as reason:
            pytest.skip(f'nicegui-e2e: {reason}')
        except lifecycle.PartDied as death:
            folder = _artifact_folder(request.node)
            _write_casualty(folder, str(death), target, browsers[0])
            pytest.fail(f'nicegui-e2e: {death} (what was collected: {folder})', pytrace=False)
        reports.append(report)
        return report
    return run


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Enforce every storm's verdict when the test ends, and hand each storm's record to the summary."""
    try:
        result = yield
    finally:
        reports = item.stash.get(STORMS, [])
        unchecked = [report for report in reports if not report.inspected and report.problems()]
        reruns = item.config.stash[COLLECTOR].failed_attempts[item.nodeid]
        item.user_properties[:] = [p for p in item.user_properties if p[0] != PROPERTY]  # an earlier attempt's
        for report in reports:
            item.user_properties.append((PROPERTY, report.summary(item.nodeid, reruns).to_json()))
    if unchecked:
        pytest.fail('\n'.join(f'{report.line}: ' + '; '.join(map(str, report.problems())) for report in unchecked),
                    pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    storms = item.stash.get(STORMS, [])
    if storms and report.when == 'call' and report.failed:
        folder = _artifact_folder(item)
        _write_artifacts(folder, storms, item.stash.get(BROWSER, None))
        report.sections.append(('nicegui-e2e artefacts', str(folder)))
    return report


def _artifact_folder(item: pytest.Item) -> Path:
    root = _artifacts_root(item.config)
    root.mkdir(parents=True, exist_ok=True)
    name = re.sub(r'[^\w.-]+', '_', item.nodeid).strip('_')[:180]
    with open(root / ARTIFACTS_MARK, 'a', encoding='utf-8') as mark:  # one line each: xdist workers append alike
        mark.write(name + '\n')
    folder = root / name
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
            '\n'.join([report.line, *map(str, report.problems()), *report.verdict.notes]) + '\n', encoding='utf-8')
    if browser is not None:
        browser.screenshot(folder / 'screenshot.png')


def _write_casualty(folder: Path, what: str, server: NiceGUIServer, browser: Browser) -> None:
    """What a storm had collected when a part of it died: the server's whole output so far, a screenshot."""
    (folder / 'what-died.txt').write_text(what + '\n', encoding='utf-8')
    for name in ('stdout.log', 'stderr.log', 'records.jsonl'):
        if (server.run_dir / name).is_file():
            shutil.copy(server.run_dir / name, folder / f'server-{name}')
    browser.screenshot(folder / 'screenshot.png')
