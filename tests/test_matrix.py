"""tox.ini is what the matrix's table (scripts/matrix.py) gives, and a new release is one line of it."""

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / 'scripts' / 'matrix.py'


@pytest.fixture(scope='module')
def matrix():
    spec = importlib.util.spec_from_file_location('matrix', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules['matrix'] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    del sys.modules['matrix']


def test_tox_ini_is_what_the_table_gives(matrix):
    assert matrix.TOX_INI.read_text(encoding='utf-8') == matrix.render(), (
        'tox.ini is stale: run python scripts/matrix.py --write'
    )


def test_a_new_release_is_one_line_that_reaches_every_place_of_its_cell(matrix):
    newer = matrix.Release('ng3190', '3.19.0', '2026-11-02', matrix.Runs.RELEASE)
    before = matrix.render().splitlines()
    after = matrix.render((*matrix.RELEASES[:-1], newer, matrix.RELEASES[-1])).splitlines()
    added = [line for line in after if line not in before]
    assert added[:3] == ['    py311-ng3190', '    ng3190: UV_EXCLUDE_NEWER = 2026-11-02', '    ng3190: nicegui==3.19.0']
    assert added[3] == (  # after the newest release the corpus has seen the bug no release fixes yet on
        '    ng3190: pytest e2e/test_family.py::test_a_page_slower_than_its_response_timeout_leaves_no_task '
        'e2e/test_navigation_storms.py::test_storm_leaves_the_lifecycle_intact '
        'e2e/test_navigation_storms.py::test_detector_fires_without_the_fix -n {env:E2E_WORKERS:1} '
        '-p no:cacheprovider {posargs}'
    )
    assert len(added) == 4 and len(after) == len(before) + 4


def test_each_known_bug_runs_where_the_corpus_has_it_and_either_side(matrix):
    """Detection, not statistics: a known bug's storm runs on the releases that have it and on the release before
    and after its range, so each cell's report shows it where the corpus says and not beside it; a storm that
    waits its bug out runs only where the range starts or ends and either side."""
    from nicegui_e2e import corpus

    by_key = {bug.key: bug for bug in corpus.KNOWN}
    assert matrix.borders(matrix.RELEASES, by_key['#5803']) == {'2.13.0', '2.14.0', '3.7.1', '3.8.0'}
    assert matrix.borders(matrix.RELEASES, by_key['#4253']) == {'2.10.1', '2.11.0'}
    commands = {
        line.split(':')[0].strip(): line.split(' -n ')[0].split()[2:]
        for line in matrix.render().split('commands =\n')[1].splitlines()
    }
    family = 'e2e/test_family.py::'
    assert commands['ng371'] == [
        family + 'test_async_pages_leave_no_task_behind',
        family + 'test_a_late_handshake_leaves_no_client_behind',
    ]  # not the stale drop
    assert commands['ng3160'] == [
        family + 'test_a_late_handshake_leaves_no_client_behind',
        family + 'test_a_page_keeps_working_after_its_connection_drops',
        family + 'test_a_page_slower_than_its_response_timeout_leaves_no_task',
    ]  # the drop's last
    assert commands['ng318'] == ['e2e', '-m', '"not', 'robustness"'] and commands['newest'][0] == 'e2e/test_family.py'
    bordering = matrix.Release('ng3190', '3.19.0', '2026-11-02')  # after the last release a range was seen on
    later = matrix.Release('ng3200', '3.20.0', '2026-12-01')  # no known bug, and borders none
    with pytest.raises(matrix.MatrixError, match=r'ng3200 \(3\.20\.0\) runs CORPUS, but has no known bug'):
        matrix.render((*matrix.RELEASES[:-1], bordering, later, matrix.RELEASES[-1]))


def test_check_says_when_tox_ini_is_stale(matrix, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(matrix, 'TOX_INI', tmp_path / 'tox.ini')
    assert matrix.main(['--write']) == 0 and matrix.main(['--check']) == 0
    ini = tmp_path / 'tox.ini'
    ini.write_text(ini.read_text().replace('= 2026-10-08', '= 2026-10-09'))
    assert matrix.main(['--check']) == 1
    assert capsys.readouterr().err == f'{tmp_path / "tox.ini"} is stale: run python scripts/matrix.py --write\n'
