"""Headless Chrome through Selenium, with a driver found offline and fast.

Knows nothing of NiceGUI beyond the name of the socket.io global its pages load. The browser is the one named
(``--nicegui-e2e-chrome-binary``), else the first of ``HEADLESS_SHELLS`` (headless runs only) and
``BROWSER_NAMES`` on PATH. Its driver is found in this order, the first that yields one wins:

1. ``explicit``: the driver named (``--nicegui-e2e-chromedriver``); a path that is not an executable file ends
   the run, it never falls through.
2. ``PATH``: a ``chromedriver`` on PATH, where a browser was found beside it.
3. ``Selenium Manager``: Selenium's own resolver, told the browser's path.
4. ``webdriver-manager``: asked for the driver of the browser found, as its kind (Chromium where the browser
   is Chromium, Google Chrome otherwise) and at its version where ``--version`` reads one.

The first two never touch the network; the last two are tried only when nothing local exists, a failure of
one is noted and the next tried, and a failure of all ends in one message that says what to install. The two
local steps hold driver and browser to one major version, in one line where they differ. A headless run
prefers Chrome's headless shell where it is installed: the same engine without the desktop browser around it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from . import devtools, grid, processes, watchdog
from .devtools import Preference
from .problems import one_line
from .storm import LIVE_FLAG
from .waiting import wait_for
from .wire import HELD_MARK, LANE_MARK

if TYPE_CHECKING:  # Selenium is imported where first needed at runtime: loading the plugin must stay cheap
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.options import Options as ChromeOptions
    from selenium.webdriver.remote.webdriver import WebDriver

BROWSER_NAMES = ('google-chrome', 'google-chrome-stable', 'chromium', 'chromium-browser', 'chrome')
HEADLESS_SHELLS = ('/usr/lib/chromium/chromium-headless-shell', 'chrome-headless-shell', 'chromium-headless-shell')
"""Preferred for headless runs: a navigation costs about a quarter less CPU than in full Chrome's headless mode
(``benchmarks/browser_cost.py``), which is what two xdist workers on two cores are short of. Debian's real
binary comes first because its ``/usr/bin`` entry is a script that does not ``exec``: the driver would hold
the script's process instead of the browser's."""
INSTALL_HINT = (
    'install Chrome and its driver (Debian/Ubuntu: apt-get install chromium chromium-driver) '
    'or name one with --nicegui-e2e-chromedriver PATH'
)
QUIET_FLAGS = (
    '--no-sandbox',  # root in a container has no user namespace to sandbox into
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',  # no phoning home on a machine whose network refuses it
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
    '--no-first-run',
    '--disable-crash-reporter',  # no crashpad handler left behind after the browser quits
    '--disable-breakpad',
    '--disable-features=Translate,OptimizationHints,MediaRouter',
)


class BrowserError(RuntimeError):
    """Chrome or its driver cannot be had; the message says what to do."""


@dataclass
class DriverChoice:
    """Which driver and browser binary to use, and how they were found (for the run's header)."""

    driver: str | None
    binary: str | None
    source: str
    notes: list[str] = field(default_factory=list)


def major_version(text: str) -> int | None:
    """The major version in ``chromedriver --version`` or ``chromium --version`` output."""
    match = re.search(r'(\d+)\.\d+\.\d+', text)
    return int(match.group(1)) if match else None


def _version_output(executable: str) -> str:
    try:
        return subprocess.run([executable, '--version'], capture_output=True, text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.TimeoutExpired) as error:
        return f'unreadable: {error}'


def find_binary(
    explicit: str | None, which: Callable[[str], str | None] = shutil.which, headed: bool = False
) -> str | None:
    if explicit:
        return explicit
    names = BROWSER_NAMES if headed else HEADLESS_SHELLS + BROWSER_NAMES
    return next((path for path in map(which, names) if path), None)


def is_headless_shell(binary: str | None) -> bool:
    if not binary:
        return False
    return 'headless-shell' in Path(binary).name.replace('_', '-')


def check_match(driver: str, binary: str, version_of: Callable[[str], str] = _version_output) -> None:
    """A driver of another major version fails at launch with a long message; say it in one line first."""
    driver_major = major_version(version_of(driver))
    browser_major = major_version(version_of(binary))
    if driver_major and browser_major and driver_major != browser_major:
        raise BrowserError(
            f'chromedriver {driver_major} ({driver}) does not match browser {browser_major} '
            f'({binary}): install the driver of the same version'
        )


def resolve(
    explicit_driver: str | None = None,
    explicit_binary: str | None = None,
    *,
    headed: bool = False,
    which: Callable[[str], str | None] = shutil.which,
    version_of: Callable[[str], str] = _version_output,
    fallbacks: Iterable[tuple[str, Callable[[], str]]] | None = None,
) -> DriverChoice:
    """The driver and browser to use, found in the order the module docstring gives (its one place)."""
    binary = find_binary(explicit_binary, which, headed)
    if explicit_binary and not Path(explicit_binary).is_file():
        raise BrowserError(f'browser binary not found: {explicit_binary}')
    if headed and is_headless_shell(binary):
        raise BrowserError(
            f'{binary} is the headless shell and cannot show a window: pass the full Chrome '
            'as --nicegui-e2e-chrome-binary, or drop --nicegui-e2e-headed'
        )
    if explicit_driver:
        if not (Path(explicit_driver).is_file() and os.access(explicit_driver, os.X_OK)):
            raise BrowserError(f'chromedriver not found or not executable: {explicit_driver}')
        if binary:
            check_match(explicit_driver, binary, version_of)
        return DriverChoice(explicit_driver, binary, 'explicit')
    on_path = which('chromedriver')
    if on_path and binary:
        check_match(on_path, binary, version_of)
        return DriverChoice(on_path, binary, 'PATH')
    notes = [f'chromedriver on PATH: {on_path or "none"}', f'browser: {binary or "none"}']
    for name, fetch in fallbacks if fallbacks is not None else _network_fallbacks(binary, version_of):
        try:
            return DriverChoice(fetch(), binary, name, notes)
        except Exception as error:
            notes.append(f'{name}: {one_line(error)}')
    raise BrowserError(f'no usable chromedriver ({"; ".join(notes)}): {INSTALL_HINT}')


def _network_fallbacks(binary: str | None, version_of: Callable[[str], str]) -> list[tuple[str, Callable[[], str]]]:
    def selenium_manager() -> str:
        from selenium.webdriver.common.selenium_manager import SeleniumManager

        args = ['--browser', 'chrome'] + (['--browser-path', binary] if binary else [])
        return SeleniumManager().binary_paths(args)['driver_path']

    def webdriver_manager() -> str:
        from webdriver_manager.chrome import ChromeDriverManager

        kind, version = webdriver_manager_request(binary, version_of)
        return ChromeDriverManager(driver_version=version, chrome_type=kind).install()

    return [('Selenium Manager', selenium_manager), ('webdriver-manager', webdriver_manager)]


def webdriver_manager_request(binary: str | None, version_of: Callable[[str], str]) -> tuple[str, str | None]:
    """What webdriver-manager is asked for: the kind of the browser found (its ``ChromeType`` value) and its
    full version, so that the driver fits the browser that is installed, not a Google Chrome that may not
    be. Without a browser, or without a version, webdriver-manager looks for itself."""
    from webdriver_manager.core.os_manager import ChromeType

    if not binary:
        return ChromeType.GOOGLE, None
    output = version_of(binary)
    kind = ChromeType.CHROMIUM if 'chromium' in (Path(binary).name + output).lower() else ChromeType.GOOGLE
    match = re.search(r'\d+\.\d+\.\d+\.\d+', output)
    return kind, match.group(0) if match else None


def handshake_hook(delay_ms: int, lane: int = 0) -> str:
    """JavaScript run before the page's own scripts: mark when the race window opens; optionally widen it.

    NiceGUI pages load socket.io as a classic script that assigns the global ``io``; a setter on ``window``
    wraps it before the page calls it. ``windows`` counts the moments the server starts holding a socket
    whose handshake it has not processed: the socket's ``connect`` where the page sends an explicit
    ``handshake`` event (2.x), the transport's ``open`` where the handshake rides in the connect request
    (3.x's implicit handshake). With ``delay_ms`` the explicit event is held back that long after
    ``connect`` (an implicit handshake is turned into an explicit one first), widening the window. ``lane``
    names this browser in a crowd, in each socket's connect query, so the server can attribute what it sees.
    """
    return """(() => {
  let delay = %d;
  try {  // the storm asked this page to handshake at once, so that it can be left live
    if (sessionStorage.getItem('%s')) { sessionStorage.removeItem('%s'); delay = 0; }
  } catch (e) {}
  const state = window.__niceguiE2E = {windows: 0, connects: 0, handshakes: 0, acks: 0, left: false};
  const acked = () => { state.acks += 1; state.ackedAt = performance.now(); };
  let current;
  const wrap = (io) => {
    const wrapped = function (url, options) {
      const query = (options && options.query) || {};
      query.%s = %d;
      if (delay > 0 && query.implicit_handshake) {
        query.implicit_handshake = false;
        query.%s = 1;  // tells the server's ledger which handshake path this page took
      }
      const implicit = !!query.implicit_handshake;
      const socket = io.apply(this, arguments);
      if (implicit) socket.io.on('open', () => { state.windows += 1; });
      socket.on('connect', () => {
        state.connects += 1;
        if (implicit) acked(); else state.windows += 1;
      });
      const emit = socket.emit;
      socket.emit = function (event, ...args) {
        if (event !== 'handshake') return emit.call(socket, event, ...args);
        const last = args.length - 1;
        if (typeof args[last] === 'function') {
          const callback = args[last];
          args[last] = (...answer) => { acked(); return callback(...answer); };
        }
        const send = () => { state.handshakes += 1; emit.call(socket, event, ...args); };
        if (delay > 0) setTimeout(send, delay); else send();
        return socket;
      };
      return socket;
    };
    return Object.assign(wrapped, io);
  };
  Object.defineProperty(window, 'io', {
    configurable: true,
    get() { return current; },
    set(value) { current = typeof value === 'function' ? wrap(value) : value; },
  });
})();""" % (int(delay_ms), LIVE_FLAG, LIVE_FLAG, LANE_MARK, int(lane), HELD_MARK)  # noqa: UP031  # %-formatting leaves the JavaScript's braces as they are


@dataclass
class BrowserOptions:
    """How to start Chrome: here, or on a Selenium Grid where ``remote_url`` names one."""

    driver: str | None = None
    binary: str | None = None
    headed: bool = False
    window_size: tuple[int, int] = (1280, 900)
    handshake_delay_ms: int = 0
    arguments: tuple[str, ...] = ()  # the user's own Chrome arguments, after ours
    remote_url: str = ''
    capabilities: Mapping[str, Any] = field(default_factory=dict)  # the user's, added to a remote request
    devtools: Preference = 'auto'
    lane: int = 0  # this browser's number in a crowd
    remote_timeout: float = 60.0  # seconds a Grid may take to place a session or answer a command


def chrome_options(options: BrowserOptions, binary: str | None, user_data_dir: Path | None) -> ChromeOptions:
    """Chrome's options; a remote one (no ``user_data_dir``) names no local path: the Grid's node knows its
    own browser, and the user's capabilities may say which."""
    from selenium.webdriver.chrome.options import Options

    chrome = Options()
    if binary:
        chrome.binary_location = binary
    if is_headless_shell(binary):
        # the driver opens the shell's first page only when it is told which browser this is
        chrome.set_capability('browserName', 'chrome-headless-shell')
    elif not options.headed:
        chrome.add_argument('--headless=new')
    for flag in QUIET_FLAGS:
        chrome.add_argument(flag)
    if user_data_dir is not None:
        chrome.add_argument(f'--user-data-dir={user_data_dir}')
    chrome.add_argument(f'--window-size={options.window_size[0]},{options.window_size[1]}')
    for argument in options.arguments:
        chrome.add_argument(argument)
    # a storm navigates blind: waiting for each load would step over the connect-to-handshake window
    chrome.page_load_strategy = 'none'
    chrome.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    chrome.enable_bidi = devtools.wants_bidi(options.devtools, remote=bool(options.remote_url))
    for name, value in options.capabilities.items():
        chrome.set_capability(name, value)
    return chrome


def _first_line(error: WebDriverException) -> str:
    lines = (error.msg or str(error)).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def launch(options: BrowserOptions, user_data_dir: Path, log_path: Path) -> WebDriver:
    """Start Chrome with the resolved driver; never lets Selenium Manager run when a local driver exists."""
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    choice = resolve(options.driver, options.binary, headed=options.headed)
    user_data_dir.mkdir(parents=True, exist_ok=True)
    service = Service(executable_path=choice.driver, log_output=str(log_path))
    try:
        driver = webdriver.Chrome(options=chrome_options(options, choice.binary, user_data_dir), service=service)
    except WebDriverException as error:
        raise BrowserError(
            f'Chrome did not start with {choice.driver} ({choice.source}): {_first_line(error)}'
        ) from None
    return driver


def asked_for(options: BrowserOptions) -> dict[str, Any]:
    """What a remote request asks the Grid for, beyond Chrome's own options."""
    return {'browserName': 'chrome', **options.capabilities}


def grid_offer(options: BrowserOptions) -> grid.Offer:
    """What the Grid of ``options`` offers now of the browser a request of ours asks for."""
    return grid.offer(options.remote_url, str(asked_for(options)['browserName']))


def launch_remote(options: BrowserOptions) -> WebDriver:
    """A session on the Grid at ``options.remote_url`` within a deadline of the suite's own (``remote_timeout``),
    which then bounds every command of the session too: a Grid queues a request it cannot place (first come,
    first served) for minutes by default, and one whose slots never come free would keep it there for ever. A
    request given up is cancelled by the Grid (Grid 4.27 and later end a session whose client stopped
    listening). A Grid that is down, has no matching node or places nothing in time is one line, with what it
    offered and what was asked."""
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.remote.client_config import ClientConfig
    from urllib3.exceptions import HTTPError
    from urllib3.exceptions import TimeoutError as RequestTimeout

    config = ClientConfig(options.remote_url, timeout=options.remote_timeout)  # type: ignore[arg-type]
    try:
        return webdriver.Remote(options.remote_url, options=chrome_options(options, None, None), client_config=config)
    except RequestTimeout:
        asked = ', '.join(f'{name}={value}' for name, value in asked_for(options).items())
        problem = f'none within {options.remote_timeout:g} s (remote_timeout); {grid_offer(options)}; asked for {asked}'
    except WebDriverException as error:
        problem = _first_line(error)
    except (OSError, HTTPError) as error:
        problem = one_line(error)
    raise BrowserError(f'no browser session from the Grid at {options.remote_url} (remote_url): {problem}')


class Browser:
    """One Chrome for a whole test session (per xdist worker), reset between tests: local, or on a Grid.

    Starting Chrome costs about a second; a storm is many navigations in one browser anyway, so the suite
    keeps one and puts it back into a known state instead of starting a fresh one per test. A local Chrome's
    processes are watched (:mod:`nicegui_e2e.watchdog`); a remote one's session is ended by the watchdog
    when the test process dies, as the Grid would only after its session timeout.
    """

    def __init__(self, options: BrowserOptions, work_dir: Path) -> None:
        self.options = options
        self.work_dir = work_dir
        self.launches = 0
        self._start()

    @property
    def remote(self) -> bool:
        return bool(self.options.remote_url)

    def _start(self) -> None:
        self.launches += 1
        self.released = False
        self._driver_pid: int | None = None
        self._chrome = None
        if self.remote:
            self.driver = launch_remote(self.options)
            self._watchdog = watchdog.guard([], [f'{self.options.remote_url}/session/{self.driver.session_id}'])
        else:
            self.driver = launch(
                self.options,
                self.work_dir / f'profile-{self.launches}',
                self.work_dir / f'chromedriver-{self.launches}.log',
            )
            self._driver_pid = self.driver.service.process.pid  # type: ignore[attr-defined]
            # Chrome's own process, found now: if the driver dies, Chrome is re-parented and no longer below it
            self._chrome = processes.first_child(self._driver_pid)
            self._watchdog = watchdog.guard([self._driver_pid] + ([self._chrome.pid] if self._chrome else []))
        try:
            self.channel = devtools.open_channel(self.driver, self.options.devtools, self.remote)
        except devtools.ChannelError as error:
            self.quit()
            raise BrowserError(str(error)) from None
        self._hook_id: str | None = None
        self.set_handshake_delay(self.options.handshake_delay_ms)

    def revive(self) -> bool:
        """Start Chrome afresh where it or its driver died (an earlier test killed it, or it crashed), or where its
        remote session went back to the Grid, so that one casualty does not fail the rest of the session; True if
        it had to. Raises :class:`BrowserError` where no browser can be had."""
        if not self.trouble():
            return False
        self.quit()
        self._start()
        return True

    @property
    def pids(self) -> tuple[int | None, int | None]:
        """chromedriver's process id and Chrome's (None where Chrome could not be found, or runs on a Grid)."""
        return self._driver_pid, self._chrome.pid if self._chrome is not None else None

    def release(self) -> None:
        """Give a remote session back to the Grid, for another xdist worker to use; the next storm starts a new
        one (:meth:`revive`)."""
        self.quit()
        self.released = True

    def trouble(self) -> str:
        """'' while chromedriver and Chrome run (a remote session: while it answers); else one line saying which
        of them died and how."""
        if self.released:
            return f'the browser session went back to the Grid at {self.options.remote_url}'
        if self._driver_pid is None:
            return self._remote_trouble()
        end = processes.describe_end(self._driver_pid, self.driver.service.process.poll())  # type: ignore[attr-defined]
        if end:
            return f'chromedriver (pid {self._driver_pid}) {end}'
        if self._chrome is not None:
            end = processes.describe_end(self._chrome.pid, None) if self._chrome.is_running() else 'is gone'
            if end:
                return f'Chrome (pid {self._chrome.pid}) {end}'
        return ''

    def _remote_trouble(self) -> str:
        from selenium.common.exceptions import WebDriverException

        try:
            self.driver.execute_script('return 1')
        except WebDriverException as error:
            return (
                f'the browser session {self.driver.session_id} on the Grid at {self.options.remote_url} '
                f'ended: {_first_line(error)}'
            )
        except OSError as error:
            return f'the Grid at {self.options.remote_url} does not answer: {error}'
        return ''

    def set_handshake_delay(self, delay_ms: int) -> None:
        """Install the page hook, replacing an earlier one (where hooks are per tab, new tabs need a call too)."""
        if self._hook_id is not None:
            self.channel.remove_hook(self._hook_id)
        self.options.handshake_delay_ms = delay_ms
        self._hook_id = self.channel.add_hook(handshake_hook(delay_ms, self.options.lane))

    @contextmanager
    def handshake_delay(self, delay_ms: int) -> Iterator[None]:
        """Use another hold-back for a while, e.g. none for a page that must simply work."""
        previous = self.options.handshake_delay_ms
        if delay_ms != previous:
            self.set_handshake_delay(delay_ms)
        try:
            yield
        finally:
            if delay_ms != previous:
                self.set_handshake_delay(previous)

    def install_in_new_tab(self, _driver: object) -> None:
        """A tab opened by a storm gets the hook too, with the same delay."""
        self.channel.hook_new_tab(handshake_hook(self.options.handshake_delay_ms, self.options.lane))

    def reset(self, *origins: str) -> None:
        """Back to one blank tab with an empty console buffer, no cookies, and no storage of ``origins``
        (local and session storage, IndexedDB, caches), so that one storm or test does not see another's."""
        self.channel.clean_slate(origins)
        self.driver.get('about:blank')
        # with page load strategy none, a navigation right after this one was seen dropped (1 in 12 sessions)
        wait_for(
            lambda: self.driver.execute_script(
                'return location.href === "about:blank" && document.readyState === "complete"'
            ),
            timeout=10,
            what='the blank tab to finish loading',
        )
        self.console()

    def console(self) -> list[dict[str, Any]]:
        """Drain the browser console collected since the last call."""
        return self.channel.console()

    def screenshot(self, path: Path) -> bool:
        try:
            return bool(self.driver.save_screenshot(str(path)))
        except Exception:
            return False

    def quit(self, grace: float = 5.0) -> None:
        """Quit, then make sure every Chrome process the driver started is gone (a Grid ends its own)."""
        started = processes.family(self._driver_pid) if self._driver_pid is not None else []
        if self._chrome is not None:  # outlives a dead driver, re-parented with its children
            started += [p for p in processes.family(self._chrome.pid) if p not in started]
        try:
            self.driver.quit()
        except Exception:
            pass
        processes.wait_then_kill(started, grace)
        self._watchdog.kill()  # nothing left for it to guard
        self._watchdog.wait()
