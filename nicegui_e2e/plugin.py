"""The pytest plugin: settings, thin fixtures over the plain objects, enforced verdicts, a summary, artefacts.

Opt-in, as NiceGUI's own testing plugins are: ``-p nicegui_e2e.plugin``, ``pytest_plugins =
['nicegui_e2e.plugin']`` in a conftest, or ``addopts = -p nicegui_e2e.plugin`` in the ini file. Loading it
registers options and reads settings, nothing more: no browser is looked up, no signal handler installed and
nothing of NiceGUI imported until a fixture of ours is first used. Fixture names follow NiceGUI's own plugin
where one exists (``main_file`` becomes ``nicegui_e2e_app``).
"""

from __future__ import annotations

import base64
import functools
import json
import os
import random
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Generator, Iterator
from contextlib import ExitStack
from html import escape
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import pytest
from packaging.version import InvalidVersion

from . import corpus, incident, lifecycle, settings, timeline
from .browser import Browser, BrowserError, BrowserOptions, grid_offer
from .collector import SKIPPED, StormCollector, versions
from .disconnect import UPSTREAM_GUARD_SINCE, should_have_guard
from .server import NiceGUIServer, ServerError, ServerOptions
from .settings import Settings
from .storm import Cadence, StormKind, StormSkipped
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
        help_text = (
            f'{spec.help} (env {settings.env(spec.name)}, ini {settings.ini(spec.name)}; '
            f'default {spec.default or "none"})'
        )
        if spec.switch:
            group.addoption(
                settings.flag(spec.name),
                dest=settings.ini(spec.name),
                nargs='?',
                const='on',
                default=None,
                metavar='on|off',
                help=help_text,
            )
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
    config.addinivalue_line('markers', "nicegui_e2e_app(path): the app file this test's storms run against")
    config.addinivalue_line('markers', "nicegui_e2e_pages(*paths): the pages this test's storms visit")
    config.stash[SEED] = _seed(config)
    chosen = config.stash[SETTINGS]
    config.stash[COLLECTOR] = StormCollector(
        _resolve_path(config, chosen.report) if chosen.report else None, config.stash[SEED]
    )
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
        return 'off: NiceGUI as shipped'
    if mode == 'bug':
        return 'bug: the pre-2.11.1 lookup put back, #4304 must show'
    if nicegui_version and not should_have_guard(nicegui_version):
        return f'on: the suite patches handle_disconnect (the upstream guard came in {UPSTREAM_GUARD_SINCE})'
    return "on: the suite's guard where NiceGUI lacks it, a lost guard fails"


def known_bugs_line(nicegui_version: str | None) -> str:
    """The known bugs of the installed NiceGUI, each with the release that fixes it, and the first release free
    of them all, in one line; ``python -m nicegui_e2e bugs`` says what each does."""
    if nicegui_version is None:
        return 'NiceGUI is not installed'
    try:
        found = corpus.known_bugs_of(nicegui_version)
    except InvalidVersion:
        return f'NiceGUI {nicegui_version!r} is not a version: no known bugs to name'
    if not found:
        return f'NiceGUI {nicegui_version}, no known bug'
    named = ', '.join(f'{bug.key} ({bug.fix})' for bug in found)
    free = corpus.first_release_free(nicegui_version)
    first = f', first free release {free}' if free else ''
    return f'NiceGUI {nicegui_version}, known bugs {named}{first} (python -m nicegui_e2e bugs)'


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Two lines: what runs (NiceGUI, its known bugs, the fix, the versions that decide what a storm meets), and how
    to repeat the run (the seed, the settings not at their default)."""
    chosen = config.stash[SETTINGS]
    found = versions()
    changed = ', '.join(f'{name}={value} ({source})' for name, (value, source) in chosen.changed().items())
    others = ', '.join(f'{k} {v}' for k, v in found.items() if k != 'nicegui')
    return [
        f'nicegui-e2e: {known_bugs_line(found.get("nicegui"))}; disconnect fix '
        f'{fix_forecast(chosen.disconnect_fix, found.get("nicegui"))}; {others}',
        f'nicegui-e2e: storm seed {config.stash[SEED]} (repeat with {settings.flag("storm_seed")} '
        f'{config.stash[SEED]}); settings not at their default: {changed or "none"}',
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
def nicegui_server_factory(
    pytestconfig: pytest.Config, nicegui_e2e_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerFactory]:
    """Servers by configuration, started on first use and kept for the session (one set per xdist worker)."""
    _teardown_on_sigterm()
    chosen = nicegui_e2e_settings
    servers: dict[ServerOptions, NiceGUIServer] = {}
    broken: dict[ServerOptions, str] = {}  # a server that could not start fails every later test at once

    def factory(
        app: str | Path | None = None,
        *,
        app_dir: Path | None = None,
        disconnect_fix: Mode | None = None,
        server_handshake_delay_ms: int | None = None,
        reconnect_timeout: float | None = None,
        server_disconnect_delay_ms: int = 0,
    ) -> NiceGUIServer:
        path, module, attribute = app_target(pytestconfig, app or _configured_app(pytestconfig, chosen), app_dir)
        options = ServerOptions(
            app=path,
            module=module,
            attribute=attribute,
            host=chosen.server_host,
            address=chosen.server_address,
            disconnect_fix=disconnect_fix or chosen.disconnect_fix,
            handshake_delay=(
                server_handshake_delay_ms if server_handshake_delay_ms is not None else chosen.server_handshake_delay_ms
            )
            / 1000,
            disconnect_delay=server_disconnect_delay_ms / 1000,
            reconnect_timeout=reconnect_timeout if reconnect_timeout is not None else chosen.reconnect_timeout,
        )
        if options in broken:
            pytest.fail(f'nicegui-e2e: {broken[options]} (as for an earlier test)', pytrace=False)
        server = servers.get(options)
        if server is None or not server.running:
            if server is not None:
                server.stop()
            server = NiceGUIServer(options, tmp_path_factory.mktemp(f'server-{options.app.stem}'))
            problem = _attempt(server.start, ServerError)
            if problem and not options.app.is_file():
                problem += f'; name the app with {settings.flag("app")} or the ini key {settings.ini("app")}'
            if problem:
                broken[options] = problem
                pytest.fail(f'nicegui-e2e: {problem}', pytrace=False)
            servers[options] = server
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


def _browser_options(chosen: Settings, arguments: list[str], lane: int = 0) -> BrowserOptions:
    return BrowserOptions(
        driver=chosen.chromedriver or None,
        binary=chosen.chrome_binary or None,
        headed=chosen.headed,
        arguments=tuple(arguments),
        remote_url=chosen.remote_url,
        capabilities=chosen.remote_capabilities,
        devtools=chosen.devtools,
        lane=lane,
        remote_timeout=chosen.remote_timeout,
    )


def _failing_in_one_line(action: Callable[[], Any]) -> Any:
    """What ``action`` returns; a browser that cannot be had fails the test in one line."""
    done: list[Any] = []
    problem = _attempt(lambda: done.append(action()), BrowserError)
    if problem:
        pytest.fail(f'nicegui-e2e: {problem}', pytrace=False)
    return done[0]


@pytest.fixture(scope='session')
def nicegui_browser(
    nicegui_e2e_settings: Settings, nicegui_chrome_arguments: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    """One headless Chrome per session (per xdist worker), local or on the Grid named by ``remote_url``. It holds
    no handshake back unless a storm asks, and a storm starts it from a clean state: one blank tab, no cookies,
    no local or session storage. A remote one goes back to the Grid after a test where the Grid has no session
    free (:class:`CrowdBrowsers`), and the next storm asks for a new one."""
    _teardown_on_sigterm()
    options = _browser_options(nicegui_e2e_settings, nicegui_chrome_arguments)
    browser = _failing_in_one_line(lambda: Browser(options, tmp_path_factory.mktemp('chrome')))
    try:
        yield browser
    finally:
        browser.quit()


class CrowdBrowsers:
    """Browsers for crowds: ``nicegui_browser`` first, the others started when a crowd first needs them. Local ones
    are kept for the session, as ``nicegui_browser`` is.

    On a Grid, a crowd asks only for the sessions the Grid reports free, so it never queues behind the browsers
    that other xdist workers hold; it may get fewer than it asked for (:attr:`shortfall` says why). After each test
    (:meth:`between_tests`) its remote browsers go back to the Grid, and so does the worker's own where no session
    is free, so that no other worker waits for it longer than one test."""

    def __init__(self, first: Browser, make: Callable[[int], Browser]) -> None:
        self.first = first
        self.make = make  # starts the browser of a lane
        self.others: list[Browser] = []
        self.shortfall = ''  # why the last crowd got fewer browsers than it asked for

    def __call__(self, n: int) -> list[Browser]:
        _failing_in_one_line(self.first.revive)  # before the others, or they could take its place on the Grid
        self.shortfall = ''
        wanted = n - 1 - len(self.others)
        if wanted > 0 and self.first.remote:
            offered = grid_offer(self.first.options)
            if offered.free is not None and offered.free < wanted:
                self.shortfall = f'the Grid at {self.first.options.remote_url}: {offered}'
                wanted = offered.free
        for _ in range(max(wanted, 0)):
            if not self.first.remote:
                self.others.append(_failing_in_one_line(lambda: self.make(len(self.others) + 1)))
                continue
            try:
                self.others.append(self.make(len(self.others) + 1))
            except BrowserError as error:  # another worker took the session meanwhile: storm with fewer
                self.shortfall = str(error)
                break
        return [self.first, *self.others[: n - 1]]

    def between_tests(self) -> None:
        """Remote browsers go back to the Grid: the crowd's, and the worker's own where the Grid has none free."""
        if not self.first.remote:
            return
        self.end()
        if not self.first.released and grid_offer(self.first.options).free == 0:
            self.first.release()

    def end(self) -> None:
        for browser in self.others:
            browser.quit()
        self.others.clear()


@pytest.fixture(scope='session')
def nicegui_crowd_browsers(
    nicegui_browser: Browser,
    nicegui_e2e_settings: Settings,
    nicegui_chrome_arguments: list[str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CrowdBrowsers]:
    """``take(n)``: up to ``n`` browsers for a crowd, ``nicegui_browser`` first (see :class:`CrowdBrowsers`)."""

    def make(lane: int) -> Browser:
        return Browser(
            _browser_options(nicegui_e2e_settings, nicegui_chrome_arguments, lane), tmp_path_factory.mktemp('chrome')
        )

    take = CrowdBrowsers(nicegui_browser, make)
    try:
        yield take
    finally:
        take.end()


@pytest.fixture(scope='session')
def nicegui_allowlist(pytestconfig: pytest.Config, nicegui_e2e_settings: Settings) -> list[incident.AllowEntry]:
    """The built-in allow-list, plus the user's file where one is named."""
    paths = [(BUILTIN_ALLOWLIST, True)]
    if nicegui_e2e_settings.allowlist:
        paths.append((_resolve_path(pytestconfig, nicegui_e2e_settings.allowlist), False))
    entries: list[incident.AllowEntry] = []
    for path, shipped in paths:
        problem = _attempt(
            lambda path=path, shipped=shipped: entries.extend(  # type: ignore[misc]
                incident.load_allowlist(path, shipped=shipped)
            ),
            incident.AllowListError,
        )
        if problem:
            pytest.fail(f'nicegui-e2e: {problem}', pytrace=False)
    return entries


StormRunner = Callable[..., lifecycle.StormReport]


@pytest.fixture
def nicegui_storm(
    request: pytest.FixtureRequest,
    nicegui_e2e_settings: Settings,
    nicegui_server_factory: ServerFactory,
    nicegui_crowd_browsers: CrowdBrowsers,
    nicegui_allowlist: list[incident.AllowEntry],
) -> StormRunner:
    """Run a storm and get its judged report. Its verdict is enforced when the test ends, whether or not the
    test called ``report.check()``; the report also lands in the summary and, on failure, in the artefacts.

    The storm is a kind's name (``'get'``) or a :class:`~nicegui_e2e.storm.StormKind` of the test's own; where
    ``expect_race`` and ``handshake_delay_ms`` are not given, the kind says whether the race must be hit and
    whether the browser holds handshakes back (by the ``handshake_delay_ms`` setting); where ``server`` and ``count``
    are not, its server notices a socket's end as late as the kind says, and it takes no more steps than the kind
    allows."""
    chosen = nicegui_e2e_settings
    reports: list[lifecycle.StormReport] = []  # this attempt's: a rerun starts afresh
    request.node.stash[STORMS] = reports
    request.node.stash[BROWSER] = nicegui_crowd_browsers(1)[0]
    request.addfinalizer(nicegui_crowd_browsers.between_tests)

    app_marker = request.node.get_closest_marker('nicegui_e2e_app')
    pages_marker = request.node.get_closest_marker('nicegui_e2e_pages')

    def run(
        scenario: str | StormKind,
        *,
        count: int | None = None,
        cadence: str | None = None,
        server: NiceGUIServer | None = None,
        pages: list[str] | None = None,
        expect_race: bool | None = None,
        handshake_delay_ms: int | None = None,
        crowd: int | None = None,
        prune: bool | None = None,
        expect_error_pages: bool = False,
    ) -> lifecycle.StormReport:
        size = crowd if crowd is not None else chosen.crowd
        try:
            kind = storm_require(scenario, chosen.server_selector)
        except StormSkipped as reason:
            pytest.skip(f'{SKIPPED}{reason}')
        steps = min(chosen.storm_count, kind.most_steps or chosen.storm_count)
        delay = (
            handshake_delay_ms
            if handshake_delay_ms is not None
            else chosen.handshake_delay_ms
            if kind.holds_back
            else 0
        )
        target = server or nicegui_server_factory(
            *app_marker.args if app_marker else (), server_disconnect_delay_ms=kind.late_disconnect_ms
        )
        chosen_pages = pages or (list(pages_marker.args) if pages_marker else None) or list(chosen.pages) or None
        check = lifecycle.PageCheck(selector=chosen.check_selector, text=chosen.check_text)
        browsers = nicegui_crowd_browsers(size)
        if size > 1 and len(browsers) < 2:
            pytest.skip(
                f'{SKIPPED}a crowd needs two browsers or more and could have one: {nicegui_crowd_browsers.shortfall}'
            )
        try:
            with ExitStack() as delays:
                for browser in browsers:
                    delays.enter_context(browser.handshake_delay(delay))
                report = lifecycle.run(
                    target,
                    browsers,
                    scenario,
                    pages=chosen_pages,
                    server_selector=chosen.server_selector,
                    check=check,
                    count=count if count is not None else steps,
                    cadence=Cadence.parse(cadence) if cadence is not None else chosen.storm_cadence,
                    expect_race=expect_race,
                    allowlist=nicegui_allowlist,
                    versions=versions(),
                    seed=request.config.stash[SEED],
                    prune=chosen.prune if prune is None else prune,
                    expect_error_pages=expect_error_pages,
                )
        except StormSkipped as reason:
            pytest.skip(f'{SKIPPED}{reason}')
        except BrowserError as error:
            pytest.fail(f'nicegui-e2e: {error}', pytrace=False)
        except lifecycle.PartDied as death:
            if chosen.artifacts_keep == 'never':
                pytest.fail(f'nicegui-e2e: {death}', pytrace=False)
            folder = _artifact_folder(request.node)
            _write_casualty(folder, str(death), target, browsers[0])
            pytest.fail(f'nicegui-e2e: {death} (what was collected: {folder})', pytrace=False)
        if len(browsers) < size:
            report.verdict.notes.append(
                f'a crowd of {len(browsers)} of the {size} browsers asked for: {nicegui_crowd_browsers.shortfall}'
            )
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
        pytest.fail(
            '\n'.join(f'{report.line}: ' + '; '.join(map(str, report.problems())) for report in unchecked),
            pytrace=False,
        )
    return result


ARTIFACT_PROPERTY = 'nicegui_artifact'
"""The name of the junit property that holds the path of one artefact file (one property per file)."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """A storm test's artefacts, kept as ``artifacts_keep`` says and named in junit; a failing one's evidence
    also goes into its row of a pytest-html report, where one is written."""
    report = yield
    storms = item.stash.get(STORMS, [])
    if not storms or report.when != 'call':
        return report
    keep = item.config.stash[SETTINGS].artifacts_keep
    kept = keep == 'always' or (keep == 'on-failure' and report.failed)
    html = _html_extras(item.config) if report.failed else None
    if not kept and html is None:
        return report
    with ExitStack() as scratch:  # where the files go that only the html report needs
        folder = _artifact_folder(item) if kept else Path(scratch.enter_context(tempfile.TemporaryDirectory()))
        written = _write_artifacts(folder, storms, item.stash.get(BROWSER, None))
        if kept:
            report.sections.append(('nicegui-e2e artefacts', str(folder)))
            named = {value for name, value in item.user_properties if name == ARTIFACT_PROPERTY}
            item.user_properties += [(ARTIFACT_PROPERTY, str(path)) for path in written if str(path) not in named]
        if html is not None:
            report.extras = [*getattr(report, 'extras', []), *_embedded(html, storms, written)]
    return report


def _html_extras(config: pytest.Config) -> ModuleType | None:
    """pytest-html's ``extras`` module where pytest-html is installed and enabled; ``None`` where it is not (it
    is imported only where its plugin is loaded, so the suite does not need it)."""
    if not config.pluginmanager.hasplugin('html'):
        return None
    from pytest_html import extras

    return extras


def _embedded(extras: ModuleType, storms: list[lifecycle.StormReport], written: list[Path]) -> list[dict[str, Any]]:
    """Each storm's verdict and timeline as HTML, and the screenshot as an image, for a pytest-html row."""
    found = [
        extras.html(
            f'<div class="nicegui-e2e"><pre>{escape(_verdict_text(report))}</pre>'
            f'<div style="overflow-x: auto">{timeline.render(report)}</div></div>'
        )
        for report in storms
    ]
    for path in written:
        if path.suffix == '.png':
            found.append(extras.png(base64.b64encode(path.read_bytes()).decode('ascii'), name=path.name))
    return found


def _artifact_folder(item: pytest.Item) -> Path:
    root = _artifacts_root(item.config)
    root.mkdir(parents=True, exist_ok=True)
    name = re.sub(r'[^\w.-]+', '_', item.nodeid).strip('_')[:180]
    with open(root / ARTIFACTS_MARK, 'a', encoding='utf-8') as mark:  # one line each: xdist workers append alike
        mark.write(name + '\n')
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _verdict_text(report: lifecycle.StormReport) -> str:
    return '\n'.join([report.line, *map(str, report.problems()), *report.verdict.notes]) + '\n'


def _write_artifacts(folder: Path, reports: list[lifecycle.StormReport], browser: Browser | None) -> list[Path]:
    """Everything needed to explain the failure without running it again; the files written."""
    written = []
    for n, report in enumerate(reports, start=1):
        prefix = f'storm{n}-{report.evidence.scenario}'
        for name, text in (
            ('server.log', report.raw_log),
            ('records.jsonl', ''.join(json.dumps(r) + '\n' for r in report.records)),
            ('console.json', json.dumps(report.console, indent=1)),
            ('events.json', json.dumps(report.events, indent=1)),
            ('timeline.svg', timeline.render(report)),
            ('verdict.txt', _verdict_text(report)),
        ):
            path = folder / f'{prefix}-{name}'
            path.write_text(text, encoding='utf-8')
            written.append(path)
    if browser is not None and browser.screenshot(folder / 'screenshot.png'):
        written.append(folder / 'screenshot.png')
    return written


def _write_casualty(folder: Path, what: str, server: NiceGUIServer, browser: Browser) -> None:
    """What a storm had collected when a part of it died: the server's whole output so far, a screenshot."""
    (folder / 'what-died.txt').write_text(what + '\n', encoding='utf-8')
    for name in ('stdout.log', 'stderr.log', 'records.jsonl'):
        if (server.run_dir / name).is_file():
            shutil.copy(server.run_dir / name, folder / f'server-{name}')
    browser.screenshot(folder / 'screenshot.png')
