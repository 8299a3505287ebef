"""The matrix report and the storm timeline, from plain data."""

import dataclasses
import json
import xml.etree.ElementTree as ET

from nicegui_e2e import report, timeline
from nicegui_e2e.findings import Code, Finding
from nicegui_e2e.incident import Judged
from nicegui_e2e.lifecycle import StormReport
from nicegui_e2e.storm import Navigation, StormResult
from nicegui_e2e.summary import StormSummary
from nicegui_e2e.verdict import Evidence, judge_storm


def storm(outcome='passed', **changes):
    base = StormSummary(
        scenario='get',
        cadence='connect',
        handshake='explicit handshake',
        line='get @ connect: ...',
        nicegui='2.11.0',
        mode='on',
        guard='applied',
        fix='guard applied',
        lost_guard=False,
        bug_present=False,
        expects_4304=False,
        navigations=30,
        departures=29,
        live_departures=0,
        race_hits=29,
        keyerrors=0,
        other_errors=0,
        allowed=0,
        unconnected=0,
        leaked=0,
        seconds=4.0,
        signatures={},
        allowed_by=[],
        live_entries=[],
        failures=[],
        notes=[],
        nodeid='e2e/t.py::x',
        outcome=outcome,
    )
    return json.loads(dataclasses.replace(base, **changes).to_json())


def write_cell(folder, name, storms, form=report.RUN_REPORT_FORMAT):
    folder.mkdir(exist_ok=True)
    data = {'format': form, 'versions': {'starlette': '0.45.3'}, 'storms': storms}
    (folder / f'{name}.json').write_text(json.dumps(data))


FAMILY = 'e2e/test_family.py::'
ASYNC = FAMILY + 'test_async_pages_leave_no_task_behind'
LATE = FAMILY + 'test_a_late_handshake_leaves_no_client_behind'
DROPS = FAMILY + 'test_a_page_keeps_working_after_its_connection_drops'
CONTROL = 'e2e/test_navigation_storms.py::test_detector_fires_without_the_fix'
ERROR_PAGE = 'e2e/test_any_app.py::test_an_error_page_is_a_finding_never_a_race_hit'
UPSTREAM = dict(guard='upstream', fix='upstream guard present')
WAITS = Finding(Code.WAITS_AFTER_PRUNE, '32 Event.wait tasks left after the prune', 32)
LOST = Finding(Code.LOST_RECONNECT, '3 pages did not come through the drop', 3)
LATE_CLIENTS = Finding(Code.CONNECTED_AFTER_PRUNE, '2 clients look connected after the prune', 2)


def release(nicegui, **storms):
    """The storms of a release's cell, each passing unless given other changes."""
    return [storm(nicegui=nicegui, nodeid=nodeid, **{**UPSTREAM, **changes}) for nodeid, changes in storms.items()]


def bug_table(folder):
    """The Markdown's bug table: {environment: {column: mark}}."""
    text = (folder / 'compatibility.md').read_text().split('## Known bugs by release\n\n')[1].split('\n\n')[0]
    head, _, *lines = text.splitlines()
    columns = [c.strip() for c in head.strip('|').split('|')]
    return {
        row[1]: dict(zip(columns, row)) for row in ([c.strip() for c in line.strip('|').split('|')] for line in lines)
    }


def test_each_release_says_which_known_bugs_it_showed_and_ends_with_one_verdict(tmp_path):
    cells = tmp_path / 'cells'
    write_cell(
        cells,
        'ng371',
        release(
            '3.7.1',
            **{
                ASYNC: dict(known_bugs=['#5803'], shown=[WAITS]),
                LATE: dict(known_bugs=['late handshake'], shown=[LATE_CLIENTS]),
                DROPS: dict(known_bugs=['stale disconnect'], shown=[LOST]),
            },
        ),
    )
    write_cell(
        cells, 'ng380', release('3.8.0', **{ASYNC: {}, LATE: dict(known_bugs=['late handshake'], shown=[LATE_CLIENTS])})
    )  # no drop storm
    write_cell(cells, 'ng318', release('3.18.0', **{ASYNC: {}, LATE: {}, DROPS: {}}))
    assert report.main([str(cells), '--out', str(tmp_path)]) == 0
    table = bug_table(tmp_path)
    assert [table[env]['verdict'] for env in ('ng371', 'ng380', 'ng318')] == [
        '4 known bugs: #5803, stale disconnect, late handshake; not run here: #6126',
        '3 known bugs: late handshake; not run here: #6126, stale disconnect',
        '1 known bug; not run here: timed-out wait',  # no storm of these cells is the one made for it
    ]
    assert (table['ng371']['#5803'], table['ng380']['#5803'], table['ng318']['late hs']) == ('shown', '', '')
    assert table['ng371']['#4304'] == table['ng371']['#4753'] == ''
    checks = (tmp_path / 'compatibility.md').read_text().split("## The suite's own checks")[1].split('## ')[0]
    assert '| ng371 |' not in checks, 'a cell that ran none of the own checks has no row there'
    page = (tmp_path / 'compatibility.html').read_text()
    assert '<script' not in page and 'http' not in page.split('<body>')[1] and 'writing-mode' not in page
    bugs = page.split('<table class="bugs">')[1].split('</table>')[0]
    assert bugs.count('</tr>') == 4 and '#5803<br><small>fixed 3.8.0</small>' in bugs
    assert '>1 known bug; not run here: timed-out wait</td>' in bugs and bugs.count('>shown</td>') == 4
    assert '>wait<br><small>fixed no release yet</small>' in bugs


def test_a_known_bug_missed_or_shown_where_the_corpus_says_it_cannot_be_fails_its_release(tmp_path, capsys):
    cells = tmp_path / 'cells'
    missed = Finding(Code.KNOWN_BUG_MISSED, '#5803 not detected although NiceGUI 3.7.1 has it', bug='#5803')
    write_cell(
        cells, 'ng371', release('3.7.1', **{ASYNC: dict(outcome='failed', known_bugs=['#5803'], failures=[missed])})
    )
    write_cell(cells, 'ng380', release('3.8.0', **{ASYNC: dict(outcome='failed', failures=[WAITS])}))
    assert report.main([str(cells), '--out', str(tmp_path)]) == 1
    table = bug_table(tmp_path)
    assert (table['ng371']['#5803'], table['ng380']['#5803']) == ('expected, not shown', 'not expected, shown')
    assert table['ng380']['verdict'] == (
        'FAIL: #5803 not expected, shown; 1 storm(s) FAIL: test_async_pages_leave_no_task_behind'
    )
    assert capsys.readouterr().err.splitlines() == [
        'nicegui-e2e report: ng371: FAIL: #5803 expected, not shown; '
        '1 storm(s) FAIL: test_async_pages_leave_no_task_behind',
        'nicegui-e2e report: ng380: FAIL: #5803 not expected, shown; '
        '1 storm(s) FAIL: test_async_pages_leave_no_task_behind',
    ]


def test_4304_shows_where_the_handler_ran_as_shipped_and_the_suites_checks_stand_apart(tmp_path):
    """The negative control restores #4304 on every release, and the error-page storm fails on purpose: they are
    the suite's own checks, in their own table, and say nothing of the release."""
    cells = tmp_path / 'cells'
    keyerrors = [Finding(Code.ISSUE_4304, '#4304: 9 KeyError(s) in handle_disconnect', 9)]
    restored = dict(mode='bug', guard='restored', bug_present=True, expects_4304=True, keyerrors=9)
    error_page = dict(failures=[Finding(Code.ERROR_PAGES, '5 page load(s) got an error page')])
    write_cell(
        cells,
        'ng2110-nofix',
        [
            storm(
                'failed',
                nodeid='e2e/t.py::test_storm[get]',
                mode='off',
                guard='absent',
                bug_present=True,
                failures=keyerrors,
            ),
            storm(nodeid=CONTROL, mode='off', guard='absent', bug_present=True, expects_4304=True, keyerrors=9),
        ],
    )
    write_cell(cells, 'ng2110-fix', [storm(nodeid='e2e/t.py::test_storm[get]'), storm(nodeid=CONTROL, **restored)])
    write_cell(cells, 'ng318', release('3.18.0', **{CONTROL: restored, ERROR_PAGE: error_page}))
    assert report.main([str(cells), '--out', str(tmp_path), '--expect-detection', 'ng2110-nofix']) == 0
    table = bug_table(tmp_path)
    assert [table[env]['#4304'] for env in ('ng2110-fix', 'ng2110-nofix', 'ng318')] == [
        'expected, guarded',
        'shown',
        '',
    ]
    assert table['ng318']['verdict'] == '1 known bug; not run here: timed-out wait'
    assert (
        table['ng2110-fix']['verdict']
        == "3 known bugs; not run here: #4753, late handshake; behind the suite's guard here: #4304"
    )
    checks = (tmp_path / 'compatibility.md').read_text().split("## The suite's own checks")[1].split('## ')[0]
    assert checks.splitlines()[4:8] == [
        '| NiceGUI | environment | negative control | error page |',
        '|---|---|---|---|',
        '| 2.11.0 | ng2110-fix | fired |  |',
        '| 2.11.0 | ng2110-nofix | fired |  |',
    ]
    assert checks.splitlines()[8] == '| 3.18.0 | ng318 | fired | fired |'


def test_every_storm_keeps_its_figures_below(tmp_path):
    cells = tmp_path / 'cells'
    write_cell(
        cells,
        'ng2111',
        [
            storm(
                'failed',
                signatures={'RuntimeError@starlette.middleware.base:call_next': [3, True]},
                failures=[Finding(Code.DEAD_PAGE, 'the last page does not work: no round trip')],
                **UPSTREAM,
            ),
            storm(race_hits=None, **UPSTREAM),
            storm(race_hits=0, **UPSTREAM),
            storm(outcome='xfailed', **UPSTREAM),
        ],
    )
    assert report.main([str(cells), '--out', str(tmp_path)]) == 1
    every = (tmp_path / 'compatibility.md').read_text().split('## Every storm')[1]
    assert 'RuntimeError@starlette.middleware.base:call_next x3 (allowed)' in every
    assert [line.rsplit('|', 2)[1].strip() for line in every.strip().splitlines()[2:]] == [
        'FAIL',
        'pass (no race here)',
        'pass (race not hit)',
        'known finding (xfail)',
    ]


def test_a_cell_without_the_fix_must_detect_the_bug(tmp_path, capsys):
    """tox ignores the exit code of the cells without the fix; the report holds them to their purpose."""
    cells = tmp_path / 'cells'
    write_cell(cells, 'fixed', [storm()])
    never_hit = Finding(Code.NO_RACE, 'the race was never hit', 0)
    write_cell(cells, 'nofix', [storm('failed', failures=[never_hit], mode='off', guard='absent', bug_present=True)])
    assert (
        report.main(
            [str(cells), '--out', str(tmp_path), '--expect-detection', 'nofix', '--expect-detection', 'missing']
        )
        == 1
    )
    err = capsys.readouterr().err.splitlines()
    assert err == [
        'nicegui-e2e report: nofix: FAIL: #4304 expected, not shown; 1 storm(s) FAIL: x',
        'nicegui-e2e report: nofix detected no #4304',
        'nicegui-e2e report: missing detected no #4304',
    ]
    write_cell(
        cells,
        'nofix',
        [
            storm(
                'failed',
                failures=[Finding(Code.ISSUE_4304, '#4304: 3 KeyError(s)', 3)],
                mode='off',
                guard='absent',
                bug_present=True,
            )
        ],
    )
    assert report.main([str(cells), '--out', str(tmp_path), '--expect-detection', 'nofix']) == 0


def test_no_cells_is_one_line(tmp_path, capsys):
    assert report.main([str(tmp_path / 'none')]) == 2
    assert capsys.readouterr().err.strip() == f'nicegui-e2e report: no run reports in {tmp_path / "none"}'


def test_timeline_marks_race_hits_red():
    result = StormResult(
        'get',
        'connect',
        started=100.0,
        ended=101.0,
        navigations=[Navigation(100.1, 'get', '/'), Navigation(100.5, 'get', '/b')],
    )
    events = [
        {'t': 100.2, 'kind': 'connect', 'sid': 'a'},
        {'t': 100.3, 'kind': 'disconnect', 'sid': 'a', 'mapped': False},
        {'t': 100.6, 'kind': 'connect', 'sid': 'b'},
        {'t': 100.7, 'kind': 'handshake_done', 'sid': 'b'},
    ]
    evidence = Evidence('get', 'connect', 2, 1, 0, 1.0, 1, True, 0, Judged(), 0, 0, 0, True)
    svg = timeline.render(StormReport(evidence, judge_storm(evidence), result, {}, events))
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter('{http://www.w3.org/2000/svg}text')]
    assert texts[0].startswith('get @ connect: 2 navigations, 1 race hits')
    red_rows = [t for t in root.iter('{http://www.w3.org/2000/svg}text') if t.get('fill') == '#d62728']
    assert [t.text for t in red_rows] == ['a']


def test_a_report_it_cannot_read_is_one_line(tmp_path, capsys):
    cells = tmp_path / 'cells'
    write_cell(cells, 'broken', [{'scenario': 'get'}])
    assert report.main([str(cells), '--out', str(tmp_path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f'nicegui-e2e report: {cells / "broken.json"}: not a run report')


def test_a_run_report_of_another_format_is_one_line(tmp_path, capsys):
    """Format 1 had no version and failures as sentences; a newer writer's format is not guessed at either."""
    cells = tmp_path / 'cells'
    for form in (None, report.RUN_REPORT_FORMAT + 1):
        write_cell(cells, 'other', [storm()], form=form)
        if form is None:
            data = json.loads((cells / 'other.json').read_text())
            del data['format']
            (cells / 'other.json').write_text(json.dumps(data))
        assert report.main([str(cells), '--out', str(tmp_path)]) == 2
        assert capsys.readouterr().err.splitlines() == [
            f'nicegui-e2e report: {cells / "other.json"}: a run report of format {form or 1}, this report reads '
            f'format {report.RUN_REPORT_FORMAT}; run its environment again with this version'
        ]


def test_releases_come_down_in_the_order_they_came_out(tmp_path):
    """By name, py311-ng3130 would come before py311-ng341 and a cell that names no release first of all."""
    cells = tmp_path / 'cells'
    for env, nicegui in (
        ('ng3130', '3.13.0'),
        ('ng341', '3.4.1'),
        ('mystery', '?'),
        ('newest', '3.18.0'),
        ('ng2110-nofix', '2.11.0'),
        ('ng2110-fix', '2.11.0'),
    ):
        write_cell(cells, env, [storm(nicegui=nicegui)])
    assert [cell.env for cell in report.load(cells)] == [
        'ng2110-fix',
        'ng2110-nofix',
        'ng341',
        'ng3130',
        'newest',
        'mystery',
    ]


def test_the_report_stands_without_the_browser_stack():
    """``python -m nicegui_e2e.report`` reads JSON: it imports no browser, driver or server code (the storm's
    record is built by lifecycle.StormReport.summary, not by the summary module reading a StormReport)."""
    import subprocess
    import sys

    probe = (
        'import sys, nicegui_e2e.report, nicegui_e2e.summary; '
        'print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in ("selenium", "nicegui", "psutil") '
        'or m in ("nicegui_e2e.browser", "nicegui_e2e.lifecycle", "nicegui_e2e.server"))))'
    )
    loaded = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []
