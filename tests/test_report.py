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
        scenario='get', cadence='connect', handshake='explicit handshake', line='get @ connect: ...',
        nicegui='2.11.0', mode='on', guard='applied', fix='guard applied', lost_guard=False, bug_present=False,
        expects_4304=False, navigations=30, departures=29, live_departures=0, race_hits=29, keyerrors=0,
        other_errors=0, allowed=0, unconnected=0, leaked=0, seconds=4.0, signatures={}, allowed_by=[],
        live_entries=[], failures=[], notes=[], nodeid='e2e/t.py::x', outcome=outcome)
    return json.loads(dataclasses.replace(base, **changes).to_json())


def write_cell(folder, name, storms):
    folder.mkdir(exist_ok=True)
    (folder / f'{name}.json').write_text(json.dumps({'versions': {'starlette': '0.45.3'}, 'storms': storms}))


def test_cells_become_rows_with_verdicts_in_words(tmp_path):
    cells = tmp_path / 'cells'
    bug = dict(mode='off', guard='absent', bug_present=True, keyerrors=9,
               signatures={'KeyError in handle_disconnect (#4304)': [9, False]})
    write_cell(cells, 'ng2110-nofix', [
        storm('failed', failures=[Finding(Code.ISSUE_4304, '#4304: 9 KeyError(s) in handle_disconnect', 9)], **bug),
        storm('failed', signatures={'RuntimeError@starlette.middleware.base:call_next': [3, True]},
              failures=[Finding(Code.DEAD_PAGE, 'the last page does not work: no round trip')]),
        storm(race_hits=None), storm(race_hits=0), storm(outcome='xfailed'),
        storm('passed', reruns=1, failures=[]),
    ])
    assert report.main([str(cells), '--out', str(tmp_path), '--expect-detection', 'ng2110-nofix']) == 1, \
        'a FAIL anywhere fails the matrix'
    summary, known, markdown = (tmp_path / 'compatibility.md').read_text().split('\n\n')
    (bug_5803,) = [row for row in known.splitlines() if row.startswith('| #5803 |')]
    assert bug_5803.endswith('| not run in this matrix |')
    assert summary.splitlines()[2] == '| ng2110-nofix | 2.11.0 | 0.45.3 | 6 | 2 | 1 | 1 | 2 | 116 | 9 | 0 |'
    assert '| 9 | 0 | 0 | bug detected |' in markdown
    assert 'RuntimeError@starlette.middleware.base:call_next x3 (allowed)' in markdown
    assert [line.rsplit('|', 2)[1].strip() for line in markdown.splitlines()[2:]] == [
        'bug detected', 'FAIL', 'pass (no race here)', 'pass (race not hit)', 'known finding (xfail)', 'FAIL']
    page = (tmp_path / 'compatibility.html').read_text()
    assert '<script' not in page and 'http' not in page.split('<body>')[1]
    grid = page.split('<table class="grid">')[1].split('</table>')[0]
    assert grid.count('<tr><th>ng2110-nofix</th>') == 1 and '<th class="t"><div>x</div></th>' in grid


def test_a_cell_without_the_fix_must_detect_the_bug(tmp_path, capsys):
    """tox ignores the exit code of the cells without the fix; the report holds them to their purpose."""
    cells = tmp_path / 'cells'
    write_cell(cells, 'fixed', [storm()])
    never_hit = Finding(Code.NO_RACE, 'the race was never hit', 0)
    write_cell(cells, 'nofix', [storm('failed', failures=[never_hit], mode='off', bug_present=True)])
    assert report.main([str(cells), '--out', str(tmp_path), '--expect-detection', 'nofix',
                        '--expect-detection', 'missing']) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == ['nicegui-e2e report: 1 storm(s) FAIL', 'nicegui-e2e report: nofix detected no #4304',
                   'nicegui-e2e report: missing detected no #4304']
    write_cell(cells, 'nofix', [storm('failed', failures=[Finding(Code.ISSUE_4304, '#4304: 3 KeyError(s)', 3)],
                                      mode='off', bug_present=True)])
    assert report.main([str(cells), '--out', str(tmp_path), '--expect-detection', 'nofix']) == 0


def test_no_cells_is_one_line(tmp_path, capsys):
    assert report.main([str(tmp_path / 'none')]) == 2
    assert capsys.readouterr().err.strip() == f'nicegui-e2e report: no run reports in {tmp_path / "none"}'


def test_timeline_marks_race_hits_red():
    result = StormResult('get', 'connect', started=100.0, ended=101.0,
                         navigations=[Navigation(100.1, 'get', '/'), Navigation(100.5, 'get', '/b')])
    events = [{'t': 100.2, 'kind': 'connect', 'sid': 'a'},
              {'t': 100.3, 'kind': 'disconnect', 'sid': 'a', 'mapped': False},
              {'t': 100.6, 'kind': 'connect', 'sid': 'b'}, {'t': 100.7, 'kind': 'handshake_done', 'sid': 'b'}]
    evidence = Evidence('get', 'connect', 2, 1, 0, 1.0, 1, True, 0, Judged(), 0, 0, 0, True)
    svg = timeline.render(StormReport(evidence, judge_storm(evidence), result, {}, events))
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter('{http://www.w3.org/2000/svg}text')]
    assert texts[0].startswith('get @ connect: 2 navigations, 1 race hits')
    red_rows = [t for t in root.iter('{http://www.w3.org/2000/svg}text') if t.get('fill') == '#d62728']
    assert [t.text for t in red_rows] == ['a']


def test_the_grid_has_a_cell_per_release_and_test_and_the_corpus_names_its_outcomes(tmp_path):
    cells = tmp_path / 'cells'
    family = 'e2e/test_family.py::test_async_pages_leave_no_task_behind'
    write_cell(cells, 'ng371', [storm(nicegui='3.7.1', nodeid=family, known_bugs=['#5803']),
                                storm(nicegui='3.7.1', nodeid='e2e/t.py::y')])
    write_cell(cells, 'ng380', [storm(nicegui='3.8.0', nodeid=family)])
    assert report.main([str(cells), '--out', str(tmp_path)]) == 0
    page = (tmp_path / 'compatibility.html').read_text()
    grid = page.split('<table class="grid">')[1].split('</table>')[0]
    rows = grid.split('<tr><th>')[2:]
    assert [row.count('●') for row in rows] == [1, 0] and [row.count('✓') for row in rows] == [1, 1]
    assert rows[1].count('title="not run here"') == 1
    known = (tmp_path / 'compatibility.md').read_text().split('\n\n')[1]
    assert 'ng371 (3.7.1): bug detected (#5803); ng380 (3.8.0): pass' in known


def test_a_report_it_cannot_read_is_one_line(tmp_path, capsys):
    cells = tmp_path / 'cells'
    write_cell(cells, 'old', [{'scenario': 'get'}])
    assert report.main([str(cells), '--out', str(tmp_path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f'nicegui-e2e report: {cells / "old.json"}: not a run report')


def test_releases_come_down_in_the_order_they_came_out(tmp_path):
    """By name, py311-ng3130 would come before py311-ng341 and a cell that names no release first of all."""
    cells = tmp_path / 'cells'
    for env, nicegui in (('ng3130', '3.13.0'), ('ng341', '3.4.1'), ('mystery', '?'), ('newest', '3.18.0'),
                         ('ng2110-nofix', '2.11.0'), ('ng2110-fix', '2.11.0')):
        write_cell(cells, env, [storm(nicegui=nicegui)])
    assert [cell.env for cell in report.load(cells)] == ['ng2110-fix', 'ng2110-nofix', 'ng341', 'ng3130', 'newest',
                                                          'mystery']


def test_the_report_stands_without_the_browser_stack():
    """``python -m nicegui_e2e.report`` reads JSON: it imports no browser, driver or server code (the storm's
    record is built by lifecycle.StormReport.summary, not by the summary module reading a StormReport)."""
    import subprocess
    import sys
    probe = ('import sys, nicegui_e2e.report, nicegui_e2e.summary; '
             'print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in ("selenium", "nicegui", "psutil") '
             'or m in ("nicegui_e2e.browser", "nicegui_e2e.lifecycle", "nicegui_e2e.server"))))')
    loaded = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []
