"""How the suite reaches inside a browser: the page hook, the console, and a clean slate before each storm.

Two channels do the same three jobs. The Chrome DevTools Protocol (CDP) is what a local Chrome offers at no
cost, and what a Selenium Grid forwards to a Chrome node (chromedriver's ``goog/cdp/execute`` command). WebDriver
BiDi is the standard one: a remote session offers it when asked for ``webSocketUrl``, on Grids whose nodes are
not Chrome-only and on cloud grids that forward no vendor commands. Both were measured to hit the race alike.

The channel is chosen once per browser session, from the ``devtools`` setting and what the session offers.
Selenium is imported only inside the functions that need it: loading the plugin must stay cheap.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, Literal, Protocol

from .problems import one_line

if TYPE_CHECKING:
    from selenium.webdriver.remote.remote_connection import RemoteConnection
    from selenium.webdriver.remote.webdriver import WebDriver

Preference = Literal['auto', 'bidi', 'cdp']
PREFERENCES: tuple[Preference, ...] = ('auto', 'bidi', 'cdp')
CDP_COMMAND = 'nicegui_e2e_cdp'
"""chromedriver's vendor command, registered under this name on a remote session (a local one has its own)."""
LOG_COMMAND = 'nicegui_e2e_log'
BIDI_LEVELS = {'error': 'SEVERE', 'warn': 'WARNING', 'warning': 'WARNING', 'info': 'INFO', 'debug': 'DEBUG'}
"""BiDi's log levels in chromedriver's words, which the verdict reads (``SEVERE`` fails a storm)."""


class ChannelError(RuntimeError):
    """The session cannot give the channel the settings ask for; the message says why."""


def preference(text: str) -> Preference:
    for choice in PREFERENCES:
        if text.strip() == choice:
            return choice
    raise ValueError(f'wants one of {", ".join(PREFERENCES)}')


class Channel(Protocol):
    """What :class:`nicegui_e2e.browser.Browser` needs from a channel."""

    name: str

    def add_hook(self, source: str) -> str:
        """Run ``source`` in every new document before the page's own scripts; returns the hook's id."""

    def remove_hook(self, identifier: str) -> None: ...

    def hook_new_tab(self, source: str) -> None:
        """A tab the storm opened gets the hook too (where hooks are per tab)."""

    def clean_slate(self, origins: tuple[str, ...]) -> None:
        """Leave one tab, without cookies or any storage of ``origins`` (the caller then loads about:blank)."""

    def console(self) -> list[dict[str, Any]]:
        """The console entries since the last call, as chromedriver's log gives them (``level``, ``message``)."""


def offers_bidi(driver: WebDriver) -> bool:
    return isinstance(driver.capabilities.get('webSocketUrl'), str)


def selenium_lacks_bidi() -> str:
    """'' where the installed Selenium has the BiDi calls this module makes (preload scripts, user contexts);
    else what is missing: a tox cell with an older release's dependencies has an older Selenium."""
    import selenium
    from selenium.webdriver.common.bidi.script import Script
    from selenium.webdriver.remote.webdriver import WebDriver

    if hasattr(WebDriver, 'browser') and hasattr(WebDriver, 'browsing_context') and hasattr(Script, 'pin'):
        return ''
    return f'Selenium {selenium.__version__} has no WebDriver BiDi preload scripts and user contexts'


def wants_bidi(choice: Preference, remote: bool) -> bool:
    """Whether to ask the session for BiDi: always where the user chose it, for remote sessions by default
    where this Selenium can use it."""
    return choice == 'bidi' or (choice == 'auto' and remote and not selenium_lacks_bidi())


def open_channel(driver: WebDriver, choice: Preference, remote: bool) -> Channel:
    """The channel for this session: BiDi where asked for and offered, CDP otherwise."""
    if choice == 'bidi' and selenium_lacks_bidi():
        raise ChannelError(f'devtools = bidi, but the installed {selenium_lacks_bidi()}: use devtools auto or cdp')
    if wants_bidi(choice, remote) and offers_bidi(driver):
        try:
            return Bidi(driver)
        except Exception as error:  # the websocket's errors have no common base
            problem = one_line(error)
        raise ChannelError(
            f'the session offers WebDriver BiDi at {driver.capabilities["webSocketUrl"]}, which '
            f'does not answer ({problem}): a Grid must advertise an address this machine reaches '
            '(its --grid-url or --external-url), or use devtools cdp'
        )
    if choice == 'bidi':
        raise ChannelError(
            'devtools = bidi, but the browser session offers no WebDriver BiDi (its capabilities '
            'carry no webSocketUrl): use devtools auto or cdp'
        )
    return Cdp(driver, remote)


def _close_other_tabs(driver: WebDriver) -> None:
    handles = driver.window_handles
    for handle in handles[1:]:
        driver.switch_to.window(handle)
        driver.close()
    driver.switch_to.window(handles[0])


class Cdp:
    """Chrome's own protocol: hooks are per tab, site data is cleared by origin, the console is chromedriver's
    log (``goog:loggingPrefs``)."""

    name = 'cdp'

    def __init__(self, driver: WebDriver, remote: bool) -> None:
        self.driver = driver
        self._send: Callable[[str, dict[str, Any]], dict[str, Any]]
        if remote:
            executor: RemoteConnection = driver.command_executor  # type: ignore[assignment]  # a URL only before start
            executor.add_command(CDP_COMMAND, 'POST', '/session/$sessionId/goog/cdp/execute')
            executor.add_command(LOG_COMMAND, 'POST', '/session/$sessionId/se/log')
            self._send = lambda cmd, params: driver.execute(CDP_COMMAND, {'cmd': cmd, 'params': params})['value']
            self._log = lambda: driver.execute(LOG_COMMAND, {'type': 'browser'})['value']
        else:
            self._send = driver.execute_cdp_cmd
            self._log = lambda: driver.get_log('browser')  # type: ignore[attr-defined]

    def add_hook(self, source: str) -> str:
        return str(self._send('Page.addScriptToEvaluateOnNewDocument', {'source': source})['identifier'])

    def remove_hook(self, identifier: str) -> None:
        """Chrome may forget a script's identifier when a navigation swaps the tab's renderer (seen after
        history storms: "Script not found"); the hook added next redefines ``window.io`` last, so it wins."""
        from selenium.common.exceptions import WebDriverException

        try:
            self._send('Page.removeScriptToEvaluateOnNewDocument', {'identifier': identifier})
        except WebDriverException as error:
            if 'Script not found' not in str(error):
                raise

    def hook_new_tab(self, source: str) -> None:
        self.add_hook(source)

    def clean_slate(self, origins: tuple[str, ...]) -> None:
        _close_other_tabs(self.driver)
        self._send('Network.clearBrowserCookies', {})
        for origin in origins:
            self._send('Storage.clearDataForOrigin', {'origin': origin, 'storageTypes': 'all'})

    def console(self) -> list[dict[str, Any]]:
        try:
            return list(self._log())
        except Exception:
            return []


class Bidi:
    """WebDriver BiDi: preload scripts cover every tab, a storm starts in a new user context (Chrome's
    incognito-like profile: no cookie, storage or cache of another storm), and console entries arrive as
    events, collected here as they come."""

    name = 'bidi'

    def __init__(self, driver: WebDriver) -> None:
        self.driver = driver
        self._entries: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._user_context: str | None = None
        driver.script.add_console_message_handler(lambda entry: self._collect(entry, 'console-api'))
        driver.script.add_javascript_error_handler(lambda entry: self._collect(entry, 'javascript'))

    def _collect(self, entry: Any, source: str) -> None:
        level = BIDI_LEVELS.get(str(getattr(entry, 'level', '')).lower(), str(getattr(entry, 'level', '')).upper())
        with self._lock:  # events arrive on Selenium's websocket thread
            self._entries.append(
                {
                    'level': level,
                    'message': str(getattr(entry, 'text', '')),
                    'source': source,
                    'timestamp': getattr(entry, 'timestamp', None),
                }
            )

    def add_hook(self, source: str) -> str:
        return str(self.driver.script.pin(f'() => {{ {source} }}'))

    def remove_hook(self, identifier: str) -> None:
        self.driver.script.unpin(identifier)

    def hook_new_tab(self, source: str) -> None:
        """A preload script without contexts runs in every tab already."""

    def clean_slate(self, origins: tuple[str, ...]) -> None:
        """A new user context and a tab in it; the old tabs and context go (``origins`` need no naming)."""
        old_tabs = self.driver.window_handles
        old_context = self._user_context
        self._user_context = self.driver.browser.create_user_context()
        tab = self.driver.browsing_context.create(type='tab', user_context=self._user_context)
        self.driver.switch_to.window(tab)
        for handle in old_tabs:
            self.driver.browsing_context.close(handle)
        if old_context is not None:
            self.driver.browser.remove_user_context(old_context)

    def console(self) -> list[dict[str, Any]]:
        with self._lock:
            entries, self._entries = self._entries, []
        return entries
