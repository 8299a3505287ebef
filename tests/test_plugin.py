"""The plugin's surface, through pytester and no browser: opt-in, settings and their errors, enforced verdicts,
the summary, junit, the run report, artefacts, the xdist seed and reruns.

Storms are stand-ins: the inner run's conftest replaces ``lifecycle.run`` with one that returns a judged
report built from evidence the test chooses, and the server and browser fixtures with plain objects, so every
path of the plugin runs as it does for real while nothing is started.
"""

from __future__ import annotations

import base64
import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from nicegui_e2e import report, settings

pytest_plugins = ['pytester']

STAND_IN = """
from contextlib import nullcontext
from types import SimpleNamespace

import pytest

from nicegui_e2e import lifecycle
from nicegui_e2e.incident import Exc, Frame, Incident, judge
from nicegui_e2e.storm import StormResult, kind_of
from nicegui_e2e.verdict import AfterPrune, Evidence, judge_storm

KEYERROR = Incident(Exc('KeyError', "'sid'", (Frame('/s/site-packages/nicegui/client.py', 'handle_disconnect', 1),)))
ABORTED = Incident(Exc('RuntimeError', 'No response returned.',
                       (Frame('/s/site-packages/starlette/middleware/base.py', 'call_next', 1),)))


def fake_run(server, browser, scenario, *, count, cadence, seed, allowlist, versions, expect_race=None, **_):
    kinds, _, release = server.kind.partition('@')  # 'bug+waits@3.7.1': what the storm shows, on which NiceGUI
    kind, waits = kinds.replace('+waits', ''), kinds.endswith('waits')
    storm_kind = kind_of(scenario)  # a name or a storm kind, as the real run takes either
    scenario = storm_kind.name
    incidents = [KEYERROR] * 3 if kind in ('4304', 'bug') else [ABORTED] * 2 if kind == 'allowed' else []
    judged = judge(incidents, allowlist, versions)
    evidence = Evidence(scenario=scenario, cadence=str(cadence), navigations=count, departures=count - 1, missed=[],
                        seconds=1.0, race_hits=0 if kind == 'no-race' else count - 1,
                        expect_race=storm_kind.expect_race if expect_race is None else expect_race,
                        keyerrors_raw=0, judged=judged, leaked_clients=0, dead_mappings=0, unconnected=0,
                        page_works=True, handshake_paths={'held': count}, lost_guard=kind == 'lost',
                        pruned=AfterPrune('timer', 0, 0, {'Event.wait': 32}) if waits else None)
    info = {'nicegui': release or '9.9.9',
            'disconnect_fix': 'bug' if kind == 'bug' else 'off' if kind in ('4304', 'waits') else 'on',
            'guard': 'applied', 'fix': f'stand-in {kind}', 'bug_present': kind in ('4304', 'bug'),
            'lost_guard': kind == 'lost'}
    result = StormResult(scenario, str(cadence), started=0.0, ended=1.0)
    return lifecycle.StormReport(evidence, judge_storm(evidence), result, info, raw_log='raw log of the storm')


@pytest.fixture(autouse=True)
def stand_in_storms(monkeypatch):
    monkeypatch.setattr(lifecycle, 'run', fake_run)


@pytest.fixture(scope='session')
def nicegui_server_factory():
    return lambda kind='clean', **_: SimpleNamespace(kind=kind)


@pytest.fixture(scope='session')
def nicegui_browser():
    delays = []  # the hold-back of each storm, in milliseconds
    return SimpleNamespace(delays=delays, handshake_delay=lambda ms: delays.append(ms) or nullcontext(),
                           revive=lambda: False, remote=False,
                           screenshot=lambda path: path.write_bytes(b'png') or True)
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """An inner project that enables the plugin the way a user would, with stand-in storms."""
    pytester.makeconftest("pytest_plugins = ['nicegui_e2e.plugin']\n" + STAND_IN)
    return pytester


def storm_test(kind: str, body: str = '    nicegui_storm("get", server=nicegui_server_factory({kind!r}))') -> str:
    return f'def test_storm(nicegui_storm, nicegui_server_factory):\n{body.format(kind=kind)}\n'


# --- opt-in -------------------------------------------------------------------------------------------------


def test_installed_but_not_enabled_changes_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile('def test_one():\n    assert True\n')
    help_text = pytester.runpytest_subprocess('--help').stdout.str()
    assert 'nicegui-e2e' not in help_text
    result = pytester.runpytest_subprocess('-p', 'no:cacheprovider')
    result.assert_outcomes(passed=1)
    assert 'nicegui-e2e' not in result.stdout.str()


@pytest.mark.parametrize('how', ['flag', 'ini', 'conftest'])
def test_each_way_of_enabling_it(pytester: pytest.Pytester, how: str) -> None:
    args = ['-p', 'nicegui_e2e.plugin'] if how == 'flag' else []
    if how == 'ini':
        pytester.makeini('[pytest]\naddopts = -p nicegui_e2e.plugin\n')
    if how == 'conftest':
        pytester.makeconftest("pytest_plugins = ['nicegui_e2e.plugin']\n")
    pytester.makepyfile('def test_one(nicegui_e2e_settings):\n    assert nicegui_e2e_settings.storm_count == 30\n')
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=1)
    assert '; disconnect fix off: NiceGUI as shipped' in result.stdout.str()


def test_header_names_no_browser_and_the_fix_forecast(suite: pytest.Pytester) -> None:
    suite.makepyfile('def test_one():\n    pass\n')
    result = suite.runpytest('--nicegui-e2e-disconnect-fix', 'off')
    header = [line for line in result.stdout.lines if line.startswith('nicegui-e2e:')]
    assert len(header) == 2
    assert '; disconnect fix off: NiceGUI as shipped; ' in header[0]
    assert header[1].endswith('; settings not at their default: disconnect_fix=off (flag)')
    assert not any('chrom' in line.lower() for line in header)


# --- settings -----------------------------------------------------------------------------------------------


def test_every_flag_the_readme_names_is_one_pytest_offers(suite: pytest.Pytester) -> None:
    """The flags are made from the settings table (``settings.flag``), so no source file spells them out: this
    holds the README to them, e.g. --nicegui-e2e-remote-url, --nicegui-e2e-server-address, --nicegui-e2e-prune."""
    readme = (Path(__file__).resolve().parent.parent / 'README.md').read_text(encoding='utf-8')
    named = set(re.findall(r'--nicegui-e2e-[a-z][a-z-]*[a-z]', readme))
    offered = set(re.findall(r'--nicegui-e2e-[a-z][a-z-]*[a-z]', suite.runpytest('--help').stdout.str()))
    assert named and named <= offered, sorted(named - offered)
    assert offered == {settings.flag(spec.name) for spec in settings.SPECS}


def test_flag_beats_environment_beats_ini(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    suite.makeini(
        '[pytest]\nnicegui_e2e_storm_count = 7\nnicegui_e2e_handshake_delay_ms = 5\n'
        'nicegui_e2e_server_handshake_delay_ms = 3\n'
    )
    monkeypatch.setenv('NICEGUI_E2E_STORM_COUNT', '8')
    monkeypatch.setenv('NICEGUI_E2E_HANDSHAKE_DELAY_MS', '6')
    suite.makepyfile("""
def test_values(nicegui_e2e_settings):
    s = nicegui_e2e_settings
    assert (s.storm_count, s.handshake_delay_ms, s.server_handshake_delay_ms, s.storm_cadence.mode) \\
        == (9, 6, 3, 'connect')
    assert [s.sources[name] for name in ('storm_count', 'handshake_delay_ms', 'server_handshake_delay_ms', 'app')] \\
        == ['flag', 'environment', 'ini', 'default']
""")
    suite.runpytest('--nicegui-e2e-storm-count=9').assert_outcomes(passed=1)


BAD = [
    ('storm_count', '-1', 'wants a whole number of at least 1'),
    ('storm_count', '0', 'wants a whole number of at least 1'),
    ('storm_count', 'many', 'wants a whole number of at least 1'),
    ('handshake_delay_ms', '-5', 'wants a whole number of at least 0'),
    ('server_handshake_delay_ms', '1.5', 'wants a whole number of at least 0'),
    ('storm_seed', 'x', 'wants a whole number of at least 0'),
    ('disconnect_fix', 'maybe', 'wants one of on, off, bug'),
    ('storm_cadence', 'fast', "cadence must look like 150, 0-400, sweep:0-400 or connect, not 'fast'"),
    ('storm_cadence', '400-0', "cadence range '400-0' runs backwards"),
    ('headed', 'sometimes', 'wants one of 1, true, yes, on, 0, false, no, off'),
    ('reconnect_timeout', '-1', 'wants seconds, a number of at least 0'),
    ('reconnect_timeout', 'nan', 'wants seconds, a number of at least 0'),
    ('pages', '/a, orders', "wants paths that start with /, like /orders/1, not 'orders'"),
    (
        'remote_url',
        'grid:4444',
        'wants the http:// or https:// address of a WebDriver server, like http://127.0.0.1:4444',
    ),
    ('remote_capabilities', '[1, 2]', 'wants a JSON object of capabilities, like {"browserVersion": "156"}'),
    (
        'remote_capabilities',
        '{browserVersion: 1}',
        'wants a JSON object of capabilities: Expecting property name '
        'enclosed in double quotes: line 1 column 2 (char 1)',
    ),
    ('devtools', 'websocket', 'wants one of auto, bidi, cdp'),
    ('crowd', '0', 'wants a whole number of at least 1'),
    ('prune', 'later', 'wants one of 1, true, yes, on, 0, false, no, off'),
    ('artifacts_keep', 'sometimes', 'wants one of on-failure, always, never'),
]


def give(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, source: settings.Source, name: str, value: str
) -> list[str]:
    """Set ``name`` to ``value`` in the form ``source`` names; returns the command-line arguments to pass."""
    if source == 'environment':
        monkeypatch.setenv(settings.env(name), value)
    if source == 'ini':
        suite.makeini(f'[pytest]\n{settings.ini(name)} = {value}\n')
    if source != 'flag':
        return []
    return [f'{settings.flag(name)}={value}']


def one_error_line(result: pytest.RunResult, name: str, value: str, source: settings.Source) -> str:
    """The run ended before it started, with exactly one line; that line, less its fixed start."""
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert len(result.stderr.lines) == 2 and not result.stderr.lines[1], result.stderr.lines
    assert 'Traceback' not in result.stdout.str()
    start = f'ERROR: nicegui-e2e: {name} = {value!r} from {settings.where(settings.SPEC[name], source)}: '
    assert result.stderr.lines[0].startswith(start), result.stderr.lines[0]
    return result.stderr.lines[0][len(start) :]


@pytest.mark.parametrize('source', ['flag', 'environment', 'ini'])
@pytest.mark.parametrize('name, value, complaint', BAD)
def test_a_bad_value_is_one_line_naming_where_it_came_from(
    suite: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    source: settings.Source,
    name: str,
    value: str,
    complaint: str,
) -> None:
    args = give(suite, monkeypatch, source, name, value)
    suite.makepyfile('def test_one():\n    pass\n')
    assert one_error_line(suite.runpytest(*args), name, value, source) == complaint


@pytest.mark.parametrize(
    'name, value, complaint',
    [
        ('app', 'nope.py', r'no such file \(/.*/nope\.py\)'),
        ('allowlist', 'nope.toml', r'no such file \(/.*/nope\.toml\)'),
        ('allowlist', 'bad.toml', r'/.*/bad\.toml: entry 1 would allow #4304, which always fails'),
        ('chromedriver', 'not-executable', r'not executable \(/.*/not-executable\)'),
        ('chrome_binary', '/nowhere/chrome', r'no such file \(/nowhere/chrome\)'),
    ],
)
@pytest.mark.parametrize('source', ['flag', 'environment', 'ini'])
def test_a_named_file_that_is_not_there_ends_the_run_in_one_line(
    suite: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    source: settings.Source,
    name: str,
    value: str,
    complaint: str,
) -> None:
    (suite.path / 'not-executable').write_text('')
    (suite.path / 'bad.toml').write_text(
        '[[allow]]\nsignature = "KeyError@nicegui.client:handle_disconnect"\nreason = "hide it"\n'
    )
    args = give(suite, monkeypatch, source, name, value)
    suite.makepyfile('def test_one():\n    pass\n')
    assert re.fullmatch(complaint, one_error_line(suite.runpytest(*args), name, value, source))


def test_a_server_that_cannot_start_fails_each_test_in_one_line_without_trying_again(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("pytest_plugins = ['nicegui_e2e.plugin']\n")
    pytester.makepyfile('def test_one(nicegui_server):\n    pass\n\n\ndef test_two(nicegui_server):\n    pass\n')
    result = pytester.runpytest()
    result.assert_outcomes(errors=2)  # in the fixture's setup
    result.stdout.fnmatch_lines(
        [
            'nicegui-e2e: app file not found: */main.py; name the app with --nicegui-e2e-app or the ini key '
            'nicegui_e2e_app',
            'nicegui-e2e: app file not found: */main.py; * (as for an earlier test)',
        ]
    )
    assert 'Traceback' not in result.stdout.str()


@pytest.mark.parametrize(
    'form, expected',
    [
        ((), True),  # the default: judged after NiceGUI's own prune
        (('--nicegui-e2e-prune',), True),
        (('--nicegui-e2e-prune=off',), False),
        (('--nicegui-e2e-prune', 'off'), False),
        (('--nicegui-e2e-prune=on',), True),
        (('--nicegui-e2e-prune=no',), False),
        (('env', 'off'), False),
        (('ini', 'off'), False),
        (('ini', 'off', '--nicegui-e2e-prune'), True),  # the flag alone wins over the ini file
    ],
)
def test_prune_switch_in_every_form(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, form: tuple[str, ...], expected: bool
) -> None:
    args = list(form)
    if form[:1] == ('env',):
        monkeypatch.setenv('NICEGUI_E2E_PRUNE', form[1])
        args = []
    if form[:1] == ('ini',):
        suite.makeini(f'[pytest]\nnicegui_e2e_prune = {form[1]}\n')
        args = list(form[2:])
    suite.makepyfile(f'def test_one(nicegui_e2e_settings):\n    assert nicegui_e2e_settings.prune is {expected}\n')
    suite.runpytest(*args).assert_outcomes(passed=1)


def test_headed_switch_in_every_form(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    suite.makepyfile(
        'def test_one(nicegui_e2e_settings, request):\n'
        '    assert nicegui_e2e_settings.headed is (request.config.getoption("-k") != "x")\n'
    )
    suite.runpytest('--nicegui-e2e-headed').assert_outcomes(passed=1)
    monkeypatch.setenv('NICEGUI_E2E_HEADED', 'yes')
    suite.runpytest().assert_outcomes(passed=1)


# --- verdicts ------------------------------------------------------------------------------------------------


def test_a_storm_fails_the_test_even_when_the_test_forgets_check(suite: pytest.Pytester) -> None:
    suite.makepyfile(storm_test('4304'))
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(['*get @ connect*3 KeyErrors*: #4304: 3 KeyError(s) in handle_disconnect*'])
    result.stdout.fnmatch_lines(['FAILED  test_*::test_storm  [[]bug detected[]]'])  # NiceGUI's bug, and a failure


def test_a_test_that_inspects_a_failing_verdict_says_so(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        storm_test(
            'no-race',
            '    report = nicegui_storm("get", server=nicegui_server_factory({kind!r}))\n'
            '    with pytest.raises(AssertionError, match="never hit"):\n'
            '        report.check()',
        ),
        'import pytest\n',
    )
    suite.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    'kind, call, outcome',
    [
        ('4304', 'check()', 'failed'),  # off: NiceGUI as shipped is judged like anything else
        ('bug', 'check()', 'passed'),  # bug: the KeyError was restored on purpose and must show
        ('4304', 'expect_4304()', 'passed'),  # the negative control says what it expects
        ('clean', 'expect_4304()', 'failed'),  # ... and fails where #4304 did not show
        ('lost', 'check()', 'failed'),  # on: a release that should carry the guard and does not
    ],
)
def test_fix_modes_mean_what_they_say(suite: pytest.Pytester, kind: str, call: str, outcome: str) -> None:
    suite.makepyfile(storm_test(kind, f'    nicegui_storm("get", server=nicegui_server_factory({{kind!r}})).{call}'))
    result = suite.runpytest()
    result.assert_outcomes(**{outcome: 1})
    if kind == 'lost':
        result.stdout.fnmatch_lines(['*NiceGUI lost its #4304 guard*'])


# --- storm kinds of a user's own ----------------------------------------------------------------------------


def test_a_storm_kind_of_the_users_own_runs_without_editing_the_package(suite: pytest.Pytester) -> None:
    """A conftest adds a kind, by entry or by name; its defaults hold where the test does not say otherwise,
    and a kind that clicks is skipped without the selector, naming the kind."""
    suite.makeconftest(
        suite.path.joinpath('conftest.py').read_text()
        + """
from nicegui_e2e.storm import Need, StormKind, register, step_get

READER = StormKind('reader', lambda c: step_get(c.pages), holds_back=False, expect_race=False)
register(StormKind('clicker', lambda c: step_get(c.pages), needs=frozenset({Need.SERVER_SELECTOR})))
"""
    )
    suite.makepyfile("""
from conftest import READER


def test_by_entry(nicegui_storm, nicegui_server_factory, nicegui_browser):
    report = nicegui_storm(READER, server=nicegui_server_factory('no-race'))
    assert (report.evidence.scenario, nicegui_browser.delays[-1]) == ('reader', 0)


def test_told_otherwise(nicegui_storm, nicegui_server_factory, nicegui_browser):
    nicegui_storm(READER, server=nicegui_server_factory('no-race'), expect_race=True, handshake_delay_ms=5)
    assert nicegui_browser.delays[-1] == 5


def test_by_name(nicegui_storm, nicegui_server_factory):
    nicegui_storm('clicker', server=nicegui_server_factory('clean'))
""")
    result = suite.runpytest_subprocess('-rs')  # its own process: the registry is the package's, module-wide
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            '*reader @ connect*: the race was never hit*',
            '*the clicker storm needs the element whose click makes the server navigate*',
        ]
    )
    suite.runpytest_subprocess('--nicegui-e2e-server-selector', '#go', '-k', 'by_name').assert_outcomes(passed=1)


def test_a_kind_s_own_server_and_step_cap_hold_where_the_test_names_neither(suite: pytest.Pytester) -> None:
    """A drop storm's server notices a socket's end late, and a drop storm takes at most its kind's steps; a
    count the test names, or a smaller setting, wins."""
    suite.makeconftest(
        suite.path.joinpath('conftest.py').read_text()
        + """
ASKED = []


@pytest.fixture(scope='session')
def nicegui_server_factory():
    return lambda kind='clean', **options: ASKED.append(options) or SimpleNamespace(kind=kind)
"""
    )
    suite.makepyfile("""
from conftest import ASKED


def test_drop(nicegui_storm):
    assert nicegui_storm('drop').evidence.navigations == 3
    assert nicegui_storm('drop', count=5).evidence.navigations == 5
    assert nicegui_storm('get').evidence.navigations == 30
    assert [options['server_disconnect_delay_ms'] for options in ASKED] == [3000, 3000, 0]
""")
    suite.runpytest().assert_outcomes(passed=1)
    suite.makepyfile(
        test_small="""
def test_small(nicegui_storm):
    assert nicegui_storm('drop').evidence.navigations == 2
"""
    )
    suite.runpytest('test_small.py', '--nicegui-e2e-storm-count', '2').assert_outcomes(passed=1)


# --- what a run leaves behind --------------------------------------------------------------------------------


def test_summary_junit_and_run_report_carry_one_record(suite: pytest.Pytester) -> None:
    suite.makepyfile(storm_test('clean'))
    result = suite.runpytest('--junitxml=junit.xml', '--nicegui-e2e-report=out/run.json', '-rA')
    result.assert_outcomes(passed=1)
    assert 'nicegui-e2e: 1 storm, race hit in 1, all as expected: 1 pass' in result.outlines
    result.stdout.fnmatch_lines(
        [
            '*nicegui-e2e storms*',
            'PASSED  test_*::test_storm  [[]pass[]]',
            '*fix: stand-in clean',
            '*get @ connect [[]handshake held: implicit made explicit[]]: 30 navigations*',
            '*note: the hold-back turned this NiceGUI*implicit handshake into the explicit one*',
        ]
    )
    properties = ET.parse(suite.path / 'junit.xml').getroot().iter('property')
    record = json.loads(next(p.get('value') for p in properties if p.get('name') == 'nicegui_storm'))
    run = json.loads((suite.path / 'out' / 'run.json').read_text())
    assert run['storms'][0] == {**record, 'outcome': 'passed'}
    (cell,) = report.load(suite.path / 'out')  # the matrix report reads the format the collector writes
    assert run['format'] == report.RUN_REPORT_FORMAT and cell.storms[0].nodeid == record['nodeid']
    assert (record['handshake'], record['race_hits'], record['failures']) == (
        'handshake held: implicit made explicit',
        29,
        [],
    )


def test_a_failing_storm_leaves_artefacts_and_old_ones_go(suite: pytest.Pytester) -> None:
    old = suite.path / 'artifacts' / 'stale'
    old.mkdir(parents=True)
    cell = suite.path / 'artifacts' / 'py311-ng318'  # a tox cell's own folder below ours: not ours to clear
    cell.mkdir()
    (suite.path / 'artifacts' / '.nicegui-e2e').write_text('stale\n')
    suite.makepyfile(storm_test('4304'))
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    folder = next(p for p in (suite.path / 'artifacts').iterdir() if p.is_dir() and p != cell)
    assert not old.exists() and cell.exists()
    assert sorted(p.name for p in folder.iterdir()) == [
        'screenshot.png',
        'storm1-get-console.json',
        'storm1-get-events.json',
        'storm1-get-records.jsonl',
        'storm1-get-server.log',
        'storm1-get-timeline.svg',
        'storm1-get-verdict.txt',
    ]
    assert (folder / 'storm1-get-verdict.txt').read_text().splitlines()[1].startswith('#4304: 3 KeyError(s)')


TWO_STORMS = storm_test('4304') + storm_test('clean').replace('test_storm', 'test_calm')
SCREENSHOT = 'data:image/png;base64,' + base64.b64encode(b'png').decode()  # what the stand-in browser shoots


def artefact_folders(suite: pytest.Pytester) -> list[str]:
    root = suite.path / 'artifacts'
    return sorted(p.name.rpartition('test_')[2] for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


@pytest.mark.parametrize(
    'keep, folders', [('', ['storm']), ('on-failure', ['storm']), ('always', ['calm', 'storm']), ('never', [])]
)
def test_artefacts_are_kept_as_the_setting_says(suite: pytest.Pytester, keep: str, folders: list[str]) -> None:
    suite.makepyfile(TWO_STORMS)
    result = suite.runpytest(*([f'--nicegui-e2e-artifacts-keep={keep}'] if keep else []), '--junitxml=junit.xml')
    result.assert_outcomes(passed=1, failed=1)
    assert artefact_folders(suite) == folders
    properties = [
        p.get('value')
        for p in ET.parse(suite.path / 'junit.xml').getroot().iter('property')
        if p.get('name') == 'nicegui_artifact'
    ]
    kept = sorted(str(path) for path in (suite.path / 'artifacts').glob('*/*'))
    assert sorted(properties) == kept and len(kept) == 7 * len(folders), 'junit names every file kept, and no other'


def html_rows(path: Path) -> dict[str, list[dict[str, str]]]:
    """pytest-html's rows, test id -> the row's extras, from the JSON the report carries."""
    blob = re.search(r'data-jsonblob="([^"]*)"', path.read_text(encoding='utf-8'))
    assert blob, 'no data in the html report'
    tests = json.loads(html.unescape(blob[1]))['tests']
    return {
        test_id.rpartition('::')[2]: [extra for row in rows for extra in row['extras']]
        for test_id, rows in tests.items()
    }


@pytest.mark.parametrize('keep', ['on-failure', 'never'])
def test_a_failing_storms_html_row_carries_its_verdict_timeline_and_screenshot(
    suite: pytest.Pytester, keep: str
) -> None:
    pytest.importorskip('pytest_html')
    suite.makepyfile(TWO_STORMS)
    result = suite.runpytest('--html=report.html', '--self-contained-html', f'--nicegui-e2e-artifacts-keep={keep}')
    result.assert_outcomes(passed=1, failed=1)
    rows = html_rows(suite.path / 'report.html')
    assert rows['test_calm'] == [], 'a storm that passed adds nothing to its row'
    shown = {extra['format_type']: extra['content'] for extra in rows['test_storm']}
    assert '#4304: 3 KeyError(s) in handle_disconnect' in shown['html'] and '<svg' in shown['html']
    assert shown['image'] == SCREENSHOT
    assert artefact_folders(suite) == (['storm'] if keep == 'on-failure' else [])


def test_without_pytest_html_a_failing_storm_fails_as_before(suite: pytest.Pytester) -> None:
    suite.makepyfile(TWO_STORMS)
    result = suite.runpytest('-p', 'no:html')
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(['*: #4304: 3 KeyError(s) in handle_disconnect*'])
    assert artefact_folders(suite) == ['storm']


def test_a_folder_the_plugin_did_not_create_is_never_cleared(suite: pytest.Pytester) -> None:
    mine = suite.path / 'artifacts' / 'keep.txt'
    mine.parent.mkdir()
    mine.write_text('mine')
    suite.makepyfile('def test_one():\n    pass\n')
    suite.runpytest().assert_outcomes(passed=1)
    assert mine.read_text() == 'mine'


def test_xdist_workers_share_the_controllers_seed(suite: pytest.Pytester) -> None:
    suite.makepyfile("""
import pytest
from nicegui_e2e.plugin import SEED

@pytest.mark.parametrize('n', range(4))
def test_seed(request, worker_id, n):
    (request.config.rootpath / f'seed-{worker_id}-{n}').write_text(str(request.config.stash[SEED]))
""")
    result = suite.runpytest_subprocess('-n', '2')
    result.assert_outcomes(passed=4)
    seeds = {p.read_text() for p in suite.path.glob('seed-gw*')}
    header = next(line for line in result.stdout.lines if 'storm seed' in line)
    assert len(seeds) == 1 and f'storm seed {seeds.pop()} ' in header


def test_a_storm_that_passes_only_on_a_rerun_still_fails_the_run(suite: pytest.Pytester) -> None:
    pytest.importorskip('pytest_rerunfailures')
    suite.makepyfile(
        storm_test(
            '',
            '    first = not (request.config.rootpath / "ran").exists()\n'
            '    (request.config.rootpath / "ran").touch()\n'
            '    nicegui_storm("get", server=nicegui_server_factory('
            '"4304" if first else "clean"))',
        ).replace('nicegui_server_factory)', 'nicegui_server_factory, request)')
    )
    result = suite.runpytest('--reruns', '1', '--junitxml=junit.xml')
    assert result.parseoutcomes() == {'passed': 1, 'rerun': 1}
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ['PASSED  test_*::test_storm  [[]FAIL[]]', '*failed in 1 earlier attempt(s): a race that shows once is a bug*']
    )
    properties = ET.parse(suite.path / 'junit.xml').getroot().iter('property')
    records = [json.loads(p.get('value')) for p in properties if p.get('name') == 'nicegui_storm']
    assert [(r['keyerrors'], r['reruns']) for r in records][-1] == (0, 1), 'the attempt that stands says so'


# --- what a run prints ---------------------------------------------------------------------------------------

STORMS = """
import pytest

@pytest.mark.parametrize('kind', ['clean', 'bug', 'allowed'])
def test_storm(nicegui_storm, nicegui_server_factory, kind):
    nicegui_storm('get', server=nicegui_server_factory(kind))

@pytest.mark.xfail(reason='a known finding')
def test_known(nicegui_storm, nicegui_server_factory):
    nicegui_storm('get', server=nicegui_server_factory('4304'))
"""
PYTESTS_OWN = re.compile(
    r'=+ .* =+|(platform|rootdir|configfile|plugins|cachedir): .*|platform .*|collected \d+ items?'
    r'|test_\w+\.py [.FxXs]+ +\[100%\]|'
)
HELD = 'the hold-back turned this NiceGUI'


def plugin_lines(result: pytest.RunResult) -> list[str]:
    """What the run printed beyond pytest's own lines (a quiet run's: its header, progress and totals)."""
    return [line for line in result.outlines if not PYTESTS_OWN.fullmatch(line)]


def test_a_green_run_adds_two_header_lines_and_two_summary_lines(suite: pytest.Pytester) -> None:
    suite.makepyfile(STORMS)
    result = suite.runpytest('-p', 'no:cacheprovider')
    result.assert_outcomes(passed=3, xfailed=1)
    lines = plugin_lines(result)
    assert len(lines) == 4 and all(line.startswith('nicegui-e2e: ') for line in lines), lines
    assert lines[2] == (
        'nicegui-e2e: 4 storms, race hit in 4, all as expected: 2 pass, 1 bug detected, 1 known finding (xfail)'
    )
    assert lines[3] == 'nicegui-e2e: allowed by the allow-list: 2 x RuntimeError@starlette.middleware.base:call_next'
    assert all(len(line) <= 120 for line in lines[1:]), 'the first: the fix forecast, in its own words'
    assert len(result.outlines) <= 15


SKIPPING = """
import pytest

@pytest.mark.storm
def test_server_storm(nicegui_storm):
    nicegui_storm('server')

def test_not_a_storm():
    pytest.skip('not ours to tell')
"""


def test_a_storm_its_test_skips_after_it_ran_counts_as_skipped_not_as_a_failure(suite: pytest.Pytester) -> None:
    """The negative control finds after its storm that no page could race: the storm was judged, not enforced."""
    suite.makepyfile("""
import pytest

@pytest.mark.storm
def test_control(nicegui_storm, nicegui_server_factory):
    nicegui_storm('get', server=nicegui_server_factory('no-race'))
    pytest.skip('no page it left could race')
""")
    result = suite.runpytest('-p', 'no:cacheprovider')
    result.assert_outcomes(skipped=1)
    assert 'nicegui-e2e: 1 storm, race hit in 0, all as expected: 1 skipped' in result.outlines


@pytest.mark.parametrize('ask', ['', '-rs'])
def test_a_storm_test_skipped_is_one_line_saying_why_unless_pytest_lists_skips(
    suite: pytest.Pytester, ask: str
) -> None:
    suite.makepyfile(SKIPPING)
    result = suite.runpytest('-p', 'no:cacheprovider', *([ask] if ask else []))
    result.assert_outcomes(skipped=2)
    ours = [line for line in result.outlines if line.startswith('nicegui-e2e: skipped')]
    why = (
        'the server storm needs the element whose click makes the server navigate: name it with '
        '--nicegui-e2e-server-selector (a CSS selector)'
    )
    assert ours == ([] if ask else [f'nicegui-e2e: skipped test_server_storm: {why}'])
    assert (f'nicegui-e2e: {why}' in result.stdout.str()) if ask else 'not ours to tell' not in result.stdout.str()


@pytest.mark.parametrize(
    'ask, shown',
    [
        ('-rA', ['PASSED', 'PASSED', 'PASSED', 'XFAILED']),
        ('-v', ['PASSED', 'PASSED', 'PASSED', 'XFAILED']),
        ('-rP', ['PASSED', 'PASSED', 'PASSED']),
        ('-rx', ['XFAILED']),
        ('-rs', []),
    ],
)
def test_blocks_come_when_asked_for_and_say_each_note_once(suite: pytest.Pytester, ask: str, shown: list[str]) -> None:
    suite.makepyfile(STORMS)
    result = suite.runpytest('-p', 'no:cacheprovider', ask, '--nicegui-e2e-report=run.json')
    section = result.stdout.str().partition('nicegui-e2e storms')[2]
    blocks: dict[str, list[str]] = {}  # a storm's head line -> the lines below it
    for line in section.splitlines():
        if re.match(r'[A-Z]+ +test_\S+  \[', line):
            blocks[line] = []
        elif blocks and line.startswith(' '):
            blocks[list(blocks)[-1]].append(line)
    assert [head.split()[0] for head in blocks] == shown
    storms = json.loads((suite.path / 'run.json').read_text())['storms']
    for head, below in blocks.items():  # every storm shown with its figures
        storm = next(storm for storm in storms if head.split()[:2] == [storm['outcome'].upper(), storm['nodeid']])
        assert f'        {storm["line"]}' in below
    assert section.count(HELD) == (1 if len(shown) > 1 else len(shown))
    assert all(section.count(f'NiceGUI 9.9.9, fix: stand-in {kind}') <= 1 for kind in ('clean', 'bug', '4304'))
    assert all(
        len(line) <= 120
        for line in section.splitlines()
        if not any(line == f'        {storm["line"]}' for storm in storms)
    ), 'prose wraps; figures do not'


def test_a_failing_storm_prints_its_block_once_in_full(suite: pytest.Pytester) -> None:
    suite.makepyfile(STORMS + storm_test('no-race').replace('test_storm', 'test_dry'))
    result = suite.runpytest('-p', 'no:cacheprovider')
    result.assert_outcomes(passed=3, failed=1, xfailed=1)
    section = result.stdout.str().partition('nicegui-e2e storms')[2].partition('short test summary info')[0]
    assert [line for line in section.splitlines() if re.match(r'[A-Z]+ +test_', line)] == [
        'FAILED  test_a_failing_storm_prints_its_block_once_in_full.py::test_dry  [FAIL]'
    ]
    assert section.count('failed: the race was never hit: this storm proves nothing about #4304') == 1
    # the hold-back's note explains race hits, and this storm had none
    assert section.count(HELD) == 0 and section.count('NiceGUI 9.9.9, fix: stand-in no-race') == 1
    result.stdout.fnmatch_lines(
        [
            'nicegui-e2e: 5 storms, race hit in 4, 1 not as expected: 1 FAIL, 2 pass, '
            '1 bug detected, 1 known finding (xfail)'
        ]
    )


def test_only_the_users_own_stale_allowlist_entries_are_news(suite: pytest.Pytester) -> None:
    (suite.path / 'mine.toml').write_text(
        '[[allow]]\nsignature = "ValueError@app.main:*"\nreason = "mine"\n'
        '[[allow]]\nsignature = "LogError@app*"\nreason = "also mine"\n'
    )
    suite.makepyfile(storm_test('clean'))
    result = suite.runpytest('-p', 'no:cacheprovider', '--nicegui-e2e-allowlist=mine.toml')
    result.assert_outcomes(passed=1)
    stale = [line for line in plugin_lines(result) if 'allow-list' in line]
    assert stale == [
        'nicegui-e2e: entries of your allow-list that matched nothing in this run: LogError@app*, ValueError@app.main:*'
    ], 'the shipped entry matched nothing too, and is not named'


ACCEPTS_5803 = '[[known_bug]]\nkey = "#5803"\nreason = "we pin 3.7.1 until the dashboard moves"\n'
PINNED = """
import pytest

@pytest.mark.parametrize('kind', ['waits@3.7.1', 'waits@3.7.1', 'clean@3.7.1'])
def test_storm(nicegui_storm, nicegui_server_factory, kind):
    nicegui_storm('get', server=nicegui_server_factory(kind))
"""


def test_a_known_bug_the_team_accepts_passes_counted_and_shown(suite: pytest.Pytester) -> None:
    """Issue 21: a team on 3.7.1 that cannot upgrade yet accepts #5803 in its allow-list file; its storms pass,
    the totals count them as accepted, and each block names the finding and the team's reason. Without the entry,
    the same storms fail naming #5803 and its fix."""
    (suite.path / 'mine.toml').write_text(ACCEPTS_5803)
    suite.makepyfile(PINNED)
    quiet = suite.runpytest('-p', 'no:cacheprovider', '--nicegui-e2e-allowlist=mine.toml')
    quiet.assert_outcomes(passed=3)
    assert plugin_lines(quiet)[2:] == [
        'nicegui-e2e: 3 storms, race hit in 3, all as expected: 2 known bug accepted (#5803), 1 pass'
    ]
    shown = suite.runpytest(
        '-p', 'no:cacheprovider', '--nicegui-e2e-allowlist=mine.toml', '-rA', '--nicegui-e2e-report=run.json'
    )
    shown.stdout.fnmatch_lines(
        [
            '[[]3[]] (2 storms) note: accepted by your allow-list: #5803 (we pin 3.7.1 until the dashboard moves)',
            'PASSED  test_*::test_storm[[]waits@3.7.1_0[]]  [[]known bug accepted (#5803)[]]  [[]1[]] [[]2[]] [[]3[]]',
            '        accepted: known bug #5803 of NiceGUI 3.7.1, fixed in 3.8.0: 32 asyncio '
            'task(s) left after the storm and the*',
        ]
    )
    storms = json.loads((suite.path / 'run.json').read_text())['storms']
    assert [[finding['bug'] for finding in storm['accepted']] for storm in storms] == [['#5803'], ['#5803'], []]
    bare = suite.runpytest('-p', 'no:cacheprovider')
    bare.assert_outcomes(passed=1, failed=2)
    bare.stdout.fnmatch_lines(['*failed: known bug #5803 of NiceGUI 3.7.1, fixed in 3.8.0: 32 asyncio task(s)*'])


def test_a_team_pinned_to_2_11_0_accepts_4304_and_an_upgraded_one_hears_its_entry_is_stale(
    suite: pytest.Pytester,
) -> None:
    (suite.path / 'mine.toml').write_text(
        ACCEPTS_5803 + '[[known_bug]]\nkey = "#4304"\nreason = "2.11.0 in the field until the spring"\n'
    )
    suite.makepyfile(storm_test('4304@2.11.0') + storm_test('clean@3.8.0').replace('test_storm', 'test_later'))
    result = suite.runpytest('-p', 'no:cacheprovider', '--nicegui-e2e-allowlist=mine.toml', '-k', 'test_storm')
    result.assert_outcomes(passed=1)
    assert plugin_lines(result)[-2:] == [
        'nicegui-e2e: 1 storm, race hit in 1, all as expected: 1 known bug accepted (#4304)',
        'nicegui-e2e: known bugs your allow-list accepts that NiceGUI 2.11.0 does not have: #5803',
    ]
    later = suite.runpytest('-p', 'no:cacheprovider', '--nicegui-e2e-allowlist=mine.toml', '-k', 'test_later')
    later.assert_outcomes(passed=1)
    assert plugin_lines(later)[-1] == (
        'nicegui-e2e: known bugs your allow-list accepts that NiceGUI 3.8.0 does not have: #4304, #5803'
    )


CONTROL = """
def test_control(nicegui_storm, nicegui_server_factory):
    nicegui_storm('get', server=nicegui_server_factory('{kind}')).expect_4304()


def test_storm(nicegui_storm, nicegui_server_factory):
    nicegui_storm('get', server=nicegui_server_factory('waits@3.7.1'))
"""


@pytest.mark.parametrize('kind, outcome', [('bug+waits@3.7.1', 'PASSED'), ('waits@3.7.1', 'FAILED')])
def test_the_negative_control_judges_4304_alone_with_a_second_bug_beside_it(
    suite: pytest.Pytester, kind: str, outcome: str
) -> None:
    """Issue 21: on 3.7.1 (#5803) the control fails only where #4304 did not show, whatever else it found; the
    second bug is shown beside it, and fails the storm made for the app."""
    suite.makepyfile(CONTROL.format(kind=kind))
    result = suite.runpytest('-p', 'no:cacheprovider', '-rA')
    result.assert_outcomes(passed=1, failed=1) if outcome == 'PASSED' else result.assert_outcomes(failed=2)
    verdict = 'bug detected' if outcome == 'PASSED' else 'FAIL'
    result.stdout.fnmatch_lines(
        [
            f'{outcome}  test_*::test_control  [[]{verdict}[]]*',
            '*beside the control: known bug #5803 of NiceGUI 3.7.1, fixed in 3.8.0: 32 asyncio*',
        ]
    )
    result.stdout.fnmatch_lines(
        [
            'FAILED  test_*::test_storm  [[]FAIL[]]*',
            '*failed: known bug #5803 of NiceGUI 3.7.1, fixed in 3.8.0: 32 asyncio task(s)*',
        ]
    )
    if outcome == 'FAILED':
        result.stdout.fnmatch_lines(
            [
                '*#4304 not detected although the server runs an unguarded handler on purpose; '
                'beside it: known bug #5803 of NiceGUI 3.7.1*'
            ]
        )
