"""``python -m nicegui_e2e init``: the one-line test module that gives the shipped suite's storms node ids under a
team's own file, so that a failing storm's node id can be pasted back to rerun it. Through pytester, with the
stand-in storms of test_plugin (nothing is started)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_plugin import STAND_IN

from nicegui_e2e.storm import KINDS

pytest_plugins = ['pytester']

SUITE_STORMS = [
    *(f'test_storm_leaves_the_lifecycle_intact[{kind.name}]' for kind in KINDS.values() if kind.shipped),
    'test_a_crowd_keeps_the_lifecycle_intact',
    'test_natural_timing_is_a_lottery',
    'test_detector_fires_without_the_fix',
]


def init(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, '-m', 'nicegui_e2e', 'init', *arguments],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_written_module_collects_the_suite_under_the_team_s_file(pytester: pytest.Pytester) -> None:
    written = init(pytester.path)
    assert written.returncode == 0, written.stderr
    assert len((pytester.path / 'test_lifecycle.py').read_text(encoding='utf-8').splitlines()) == 1
    result = pytester.runpytest_subprocess(
        '-p', 'nicegui_e2e.plugin', 'test_lifecycle.py', '--collect-only', '-q', '-m', 'storm'
    )
    assert result.ret == pytest.ExitCode.OK
    assert [line for line in result.stdout.lines if '::' in line] == [
        f'test_lifecycle.py::{name}' for name in SUITE_STORMS
    ]


def test_a_pasted_node_id_reruns_that_one_storm(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(STAND_IN)
    assert init(pytester.path, 'test_ours.py').returncode == 0
    result = pytester.runpytest_subprocess(
        '-p',
        'nicegui_e2e.plugin',
        '-p',
        'no:cacheprovider',
        '-v',
        'test_ours.py::test_storm_leaves_the_lifecycle_intact[reload]',
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(['test_ours.py::test_storm_leaves_the_lifecycle_intact?reload? PASSED*'])


def test_it_writes_into_a_folder_and_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / 'tests').mkdir()
    assert init(tmp_path, 'tests').returncode == 0
    kept = 'def test_mine():\n    pass\n'
    (tmp_path / 'test_lifecycle.py').write_text(kept, encoding='utf-8')
    refused = init(tmp_path)
    assert (refused.returncode, refused.stdout) == (2, '')
    assert refused.stderr == (
        "nicegui-e2e: PATH = 'test_lifecycle.py' from the default: the file exists, and init "
        'does not overwrite it; name another file\n'
    )
    assert (tmp_path / 'test_lifecycle.py').read_text(encoding='utf-8') == kept
    assert (tmp_path / 'tests' / 'test_lifecycle.py').is_file()
