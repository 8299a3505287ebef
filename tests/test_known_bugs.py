"""What a team learns of its release without running a storm: ``python -m nicegui_e2e bugs`` and the header line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nicegui_e2e import corpus
from nicegui_e2e.plugin import known_bugs_line


def bugs(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, '-m', 'nicegui_e2e', 'bugs', *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_release_with_a_known_bug_names_it_and_its_fix_and_exits_1() -> None:
    asked = bugs('3.7.1')
    assert asked.returncode == 1, asked.stderr
    assert '#5803 (NiceGUI 2.14.0 to 3.7.1, fixed in 3.8.0): each load of an async page' in asked.stdout
    assert asked.stdout.splitlines()[-1] == 'first release free of the bugs this package knows a fix for: 3.18.0'


def test_a_release_free_of_them_exits_0() -> None:
    asked = bugs('1.4.37')
    assert (asked.returncode, asked.stdout) == (0, 'NiceGUI 1.4.37: none of the 10 lifecycle bugs this package knows\n')


def test_a_release_whose_bugs_no_release_fixes_yet_names_them_and_exits_0() -> None:
    """The exit status says whether upgrading helps: on the newest release, with the bug no release fixes yet,
    it does not."""
    asked = bugs('3.18.0')
    assert asked.returncode == 0, asked.stdout
    assert asked.stdout.splitlines() == [
        'NiceGUI 3.18.0: 1 of the 10 lifecycle bugs this package knows',
        '  timed-out wait (NiceGUI 3.14.0 to 3.18.0, not fixed in any release yet, seen to 3.18.0): '
        + corpus.KNOWN[-1].what,
        'no release fixes timed-out wait yet, so upgrading does not help there; the exit status says whether a '
        'release fixes a bug of this one',
    ]
    assert bugs('3.16.0').returncode == 1  # the stale disconnect, which 3.17.0 fixes


def test_the_release_of_4304_names_it() -> None:
    asked = bugs('2.11.0')
    assert asked.returncode == 1
    assert '#4304 (NiceGUI 2.11.0, fixed in 2.11.1)' in asked.stdout
    assert '#4304' not in bugs('2.11.1').stdout


def test_a_bad_version_is_one_line_and_exit_2() -> None:
    asked = bugs('three')
    assert (asked.returncode, asked.stdout) == (2, '')
    assert asked.stderr == "nicegui-e2e: VERSION = 'three' from the command line: wants a NiceGUI release, like 3.7.1\n"


@pytest.mark.parametrize(
    'release, free',
    [('3.4.1', '3.18.0'), ('2.13.0', '3.18.0'), ('3.16.0', '3.18.0'), ('3.17.1', '3.18.0'), ('3.18.0', None)],
)
def test_the_first_release_free_of_every_known_bug(release: str, free: str | None) -> None:
    assert corpus.first_release_free(release) == free


def test_the_first_free_release_is_not_only_the_last_fix_of_the_release_s_own_bugs() -> None:
    """2.10.1's own bugs are fixed by 2.18.0, which has #5803 and the late handshake."""
    assert max(bug.first_fixed for bug in corpus.known_bugs_of('2.10.1')) == '2.18.0'
    assert corpus.known_bugs_of('2.18.0')
    assert corpus.first_release_free('2.10.1') == '3.18.0'


def test_the_header_names_the_installed_release_s_bugs_in_one_line() -> None:
    assert known_bugs_line('3.7.1').startswith('NiceGUI 3.7.1, known bugs #5803 (fixed in 3.8.0), ')
    assert ', first free release 3.18.0 ' in known_bugs_line('3.7.1')
    assert known_bugs_line('3.18.0') == (
        'NiceGUI 3.18.0, known bugs timed-out wait (not fixed in any release yet, seen to 3.18.0) '
        '(python -m nicegui_e2e bugs)'
    )
    assert known_bugs_line('1.4.37') == 'NiceGUI 1.4.37, no known bug'
    assert known_bugs_line('2.11.0').startswith('NiceGUI 2.11.0, known bugs #4304 (fixed in 2.11.1)')


def test_a_4304_keyerror_on_2_11_0_is_named_as_the_known_bug_a_team_meets() -> None:
    """A team's run judges NiceGUI as shipped: on 2.11.0 its storms fail on #4304, named with its fix; on 2.11.1
    with the bug put back on purpose (the negative control's server), nothing is named."""
    from nicegui_e2e.findings import Code, Finding

    keyerrors = Finding(Code.ISSUE_4304, '#4304: 24 KeyError(s) in handle_disconnect', 24)
    (named,) = corpus.named([keyerrors], '2.11.0')
    assert named.bug == '#4304' and 'known bug #4304 of NiceGUI 2.11.0, fixed in 2.11.1' in named.text
    assert corpus.named([keyerrors], '2.11.1') == [keyerrors]
