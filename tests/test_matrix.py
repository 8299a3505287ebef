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
    assert matrix.TOX_INI.read_text(encoding='utf-8') == matrix.render(), \
        'tox.ini is stale: run python scripts/matrix.py --write'


def test_a_new_release_is_one_line_that_reaches_every_place_of_its_cell(matrix):
    newer = matrix.Release('ng3190', '3.19.0', '2026-11-02', corpus=True)
    before = matrix.render().splitlines()
    after = matrix.render((*matrix.RELEASES[:-1], newer, matrix.RELEASES[-1])).splitlines()
    added = [line for line in after if line not in before]
    assert added[:3] == ['    py311-ng3190', '    ng3190: UV_EXCLUDE_NEWER = 2026-11-02', '    ng3190: nicegui==3.19.0']
    assert added[3].startswith('    ng2130,') and ',ng3171,ng3190: pytest e2e/test_family.py' in added[3]
    assert added[4].startswith('    !ng2130-') and '-!ng3190: pytest e2e -m "not robustness"' in added[4]
    assert len(added) == 5 and len(after) == len(before) + 3


def test_check_says_when_tox_ini_is_stale(matrix, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(matrix, 'TOX_INI', tmp_path / 'tox.ini')
    assert matrix.main(['--write']) == 0 and matrix.main(['--check']) == 0
    ini = tmp_path / 'tox.ini'
    ini.write_text(ini.read_text().replace('= 2026-10-08', '= 2026-10-09'))
    assert matrix.main(['--check']) == 1
    assert capsys.readouterr().err == f'{tmp_path / "tox.ini"} is stale: run python scripts/matrix.py --write\n'
