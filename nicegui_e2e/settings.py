"""The suite's settings: read once per run from flag, environment and ini file, typed, and checked.

Every setting has three spellings built from one name, so that none of them can clash with another plugin:
the flag ``--nicegui-e2e-storm-count``, the variable ``NICEGUI_E2E_STORM_COUNT`` and the ini key
``nicegui_e2e_storm_count``. The flag wins, then the variable, then the ini file, then the default. A bad
value ends the run before anything starts, with one line that names the setting, the value and where it came
from, so a user fixes the right file.

This module knows nothing of pytest beyond the two methods it reads values through.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Callable, Literal, Protocol, TypeVar

from .devtools import Preference, preference
from .storm import Cadence
from .wire import MODES, Mode

Source = Literal['flag', 'environment', 'ini', 'default']
FLAG_PREFIX = '--nicegui-e2e-'
ENV_PREFIX = 'NICEGUI_E2E_'
INI_PREFIX = 'nicegui_e2e_'
TRUE, FALSE = ('1', 'true', 'yes', 'on'), ('0', 'false', 'no', 'off', '')


class SettingError(ValueError):
    """A setting's value is unusable; the message is the one line the user sees."""


def flag(name: str) -> str:
    return FLAG_PREFIX + name.replace('_', '-')


def env(name: str) -> str:
    return ENV_PREFIX + name.upper()


def ini(name: str) -> str:
    return INI_PREFIX + name


def _whole(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise ValueError(f'wants a whole number of at least {minimum}') from None
        if number < minimum:
            raise ValueError(f'wants a whole number of at least {minimum}')
        return number

    return parse


def _mode(text: str) -> Mode:
    for mode in MODES:
        if text == mode:
            return mode
    raise ValueError(f'wants one of {", ".join(MODES)}')


def _switch(text: str) -> bool:
    if text.lower() in TRUE:
        return True
    if text.lower() in FALSE:
        return False
    raise ValueError(f'wants one of {", ".join(TRUE + FALSE[:-1])}')


Choice = TypeVar('Choice', bound=str)
Keep = Literal['on-failure', 'always', 'never']
KEEPS: tuple[Keep, ...] = ('on-failure', 'always', 'never')


def _one_of(choices: tuple[Choice, ...]) -> Callable[[str], Choice]:
    """A parser that takes one of ``choices``, as written."""

    def parse(text: str) -> Choice:
        for choice in choices:
            if text.strip() == choice:
                return choice
        raise ValueError(f'wants one of {", ".join(choices)}')

    return parse


def _text(text: str) -> str:
    return text.strip()


def _pages(text: str) -> tuple[str, ...]:
    """Paths separated by commas or spaces, each starting with ``/``; empty means "the app's own pages"."""
    pages = tuple(part for part in re.split(r'[,\s]+', text.strip()) if part)
    wrong = [page for page in pages if not page.startswith('/')]
    if wrong:
        raise ValueError(f'wants paths that start with /, like /orders/1, not {wrong[0]!r}')
    return pages


def _seconds(text: str) -> float | None:
    """Seconds, fractions allowed; empty means "the app's own choice"."""
    if not text.strip():
        return None
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError('wants seconds, a number of at least 0') from None
    if not seconds >= 0:
        raise ValueError('wants seconds, a number of at least 0')
    return seconds


def _deadline(text: str) -> float:
    """Seconds, fractions allowed, more than 0: a deadline that cannot be switched off."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise ValueError('wants seconds, a number above 0')
    return seconds


def _url(text: str) -> str:
    """A WebDriver server's address, such as a Selenium Grid's ``http://127.0.0.1:4444``; empty means "no
    Grid: a local Chrome"."""
    text = text.strip().rstrip('/')
    if text and not re.fullmatch(r'https?://[^/\s]+(/\S*)?', text):
        raise ValueError('wants the http:// or https:// address of a WebDriver server, like http://127.0.0.1:4444')
    return text


def _capabilities(text: str) -> dict[str, Any]:
    """A JSON object of WebDriver capabilities, added to the suite's own for every remote browser."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ValueError(f'wants a JSON object of capabilities: {error}') from None
    if not isinstance(value, dict):
        raise ValueError('wants a JSON object of capabilities, like {"browserVersion": "156"}')
    return value


def _seed(text: str) -> int | None:
    """No seed means a new one per run."""
    return _whole(0)(text) if text.strip() else None


@dataclass(frozen=True)
class Spec:
    """One setting: its name, what it means, its default (as text, as a user would write it) and its parser."""

    name: str
    help: str
    default: str
    parse: Callable[[str], Any] = _text
    switch: bool = False  # on or off; the flag alone means on (--nicegui-e2e-headed), or it names one (=off)


SPECS: tuple[Spec, ...] = (
    Spec('app', "the NiceGUI app file to serve (default: NiceGUI's main_file ini key, else main.py)", ''),
    Spec(
        'pages',
        'paths to storm, separated by commas (default: the pages the app registers without path '
        'parameters); may name instances of parameterised routes such as /orders/1',
        '',
        _pages,
    ),
    Spec(
        'server_selector',
        'CSS selector of the element whose click makes the server navigate '
        '(ui.navigate.to); the server storm is skipped without one',
        '',
    ),
    Spec('check_selector', 'CSS selector the page check clicks after its round trip (optional)', ''),
    Spec('check_text', 'text the page check waits for on the page after that click (optional)', ''),
    Spec(
        'disconnect_fix',
        'off: NiceGUI as shipped; on: the #4304 guard where NiceGUI lacks it (a NiceGUI that '
        'should have it fails); bug: the pre-2.11.1 behaviour, #4304 expected',
        'off',
        _mode,
    ),
    Spec('storm_count', 'navigations per storm', '30', _whole(1)),
    Spec(
        'crowd',
        'browsers storming the server at once, each with a seed of its own; a crowd is judged as one '
        'storm, with what each browser caused attributed to it',
        '1',
        _whole(1),
    ),
    Spec(
        'prune',
        "also judge each storm after its browsers left and NiceGUI's own prune, on its own schedule, "
        'ran over its clients, aged past the threshold: none of them and no more asyncio tasks than '
        'before may be left (off: a quicker pass)',
        'on',
        _switch,
        switch=True,
    ),
    Spec('storm_cadence', 'pause between navigations: 150, 0-400, sweep:0-400 or connect', 'connect', Cadence.parse),
    Spec(
        'handshake_delay_ms',
        'browser fault: hold the handshake back this long after connect (0: natural timing)',
        '1000',
        _whole(0),
    ),
    Spec('server_handshake_delay_ms', 'server fault: delay handshake processing this long', '0', _whole(0)),
    Spec(
        'reconnect_timeout',
        'seconds NiceGUI keeps a client whose socket left, on the servers the suite starts '
        "(default: the app's own); a storm settles for at most this plus 5 s",
        '',
        _seconds,
    ),
    Spec('server_host', 'address the server binds (loopback unless you ask otherwise)', '127.0.0.1'),
    Spec(
        'server_address',
        'host name or address under which the browsers reach the server, where they run '
        'elsewhere (default: the bound address; 127.0.0.1 for a wildcard bind)',
        '',
    ),
    Spec(
        'remote_url',
        'a Selenium Grid (or any WebDriver server) to run the browsers on, like '
        'http://127.0.0.1:4444 (default: a local Chrome)',
        '',
        _url,
    ),
    Spec(
        'remote_capabilities', "JSON object of capabilities added to every remote browser's request", '', _capabilities
    ),
    Spec(
        'remote_timeout',
        'seconds the Grid may take to place a browser session, or to answer a command of '
        'one; past it the test fails or its crowd storms with fewer browsers, in one line',
        '60',
        _deadline,
    ),
    Spec(
        'devtools',
        'how the suite reaches inside the browser: auto (CDP for a local Chrome, WebDriver BiDi '
        'where a remote session offers it, else CDP through the Grid), bidi or cdp',
        'auto',
        preference,
    ),
    Spec('chromedriver', 'chromedriver to use (default: found on PATH, offline)', ''),
    Spec(
        'chrome_binary',
        'Chrome or Chromium binary (default: the headless shell where installed, else Chrome found on PATH)',
        '',
    ),
    Spec('headed', 'show the browser window (full Chrome, not the headless shell)', 'off', _switch, switch=True),
    Spec('allowlist', 'TOML file of incident signatures allowed to pass, in addition to the built-in list', ''),
    Spec('artifacts', 'folder for failure artefacts (per test, xdist-safe)', 'artifacts'),
    Spec(
        'artifacts_keep',
        "when a storm test's artefacts are kept: on-failure, always or never (a failing "
        "storm's row in a pytest-html report carries its verdict, timeline and screenshot "
        'whatever this says)',
        'on-failure',
        _one_of(KEEPS),
    ),
    Spec('storm_seed', 'seed of jittered cadences (default: a new one per run, shown in the header)', '', _seed),
    Spec('report', 'write every storm of the run as JSON to this file (the matrix report reads it)', ''),
)
SPEC = {spec.name: spec for spec in SPECS}


@dataclass(frozen=True)
class Settings:
    """Every setting, typed; ``sources`` says where each value came from (for the header and for errors). Only
    :func:`read` makes one, from the :data:`SPECS`, where each default is written."""

    app: str
    pages: tuple[str, ...]
    server_selector: str
    check_selector: str
    check_text: str
    disconnect_fix: Mode
    storm_count: int
    crowd: int
    prune: bool
    storm_cadence: Cadence
    handshake_delay_ms: int
    server_handshake_delay_ms: int
    reconnect_timeout: float | None
    server_host: str
    server_address: str
    remote_url: str
    remote_capabilities: Mapping[str, Any]
    remote_timeout: float
    devtools: Preference
    chromedriver: str
    chrome_binary: str
    headed: bool
    allowlist: str
    artifacts: str
    artifacts_keep: Keep
    storm_seed: int | None
    report: str
    sources: Mapping[str, Source]

    def changed(self) -> dict[str, tuple[str, Source]]:
        """Settings not at their default, as name -> (value as text, source)."""
        return {
            f.name: (str(getattr(self, f.name)), self.sources[f.name])
            for f in fields(self)
            if f.name in self.sources and self.sources[f.name] != 'default'
        }


class Reader(Protocol):
    """What :func:`read` needs of ``pytest.Config``: the parsed flag and the ini value of a setting."""

    def getoption(self, name: str) -> Any: ...

    def getini(self, name: str) -> Any: ...


def where(spec: Spec, source: Source) -> str:
    """Where a value came from, in the words a user needs to find it."""
    return {
        'flag': f'the flag {flag(spec.name)}',
        'environment': f'the environment variable {env(spec.name)}',
        'ini': f'the ini key {ini(spec.name)}',
        'default': 'the default',
    }[source]


def raw(reader: Reader, spec: Spec, environ: Mapping[str, str]) -> tuple[str, Source]:
    """The text of one setting and its source, by precedence; an empty ini value counts as not set."""
    value = reader.getoption(ini(spec.name))
    if value is not None:
        return str(value), 'flag'
    if env(spec.name) in environ:
        return environ[env(spec.name)], 'environment'
    value = reader.getini(ini(spec.name))
    if value not in (None, '', []):
        return str(value), 'ini'
    return spec.default, 'default'


def read(reader: Reader, environ: Mapping[str, str] | None = None) -> Settings:
    """All settings, parsed; the first bad one raises :class:`SettingError`."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    for spec in SPECS:
        text, source = raw(reader, spec, environ)
        try:
            values[spec.name] = spec.parse(text)
        except ValueError as error:
            raise SettingError(f'{spec.name} = {text!r} from {where(spec, source)}: {error}') from None
        sources[spec.name] = source
    return Settings(**values, sources=sources)
