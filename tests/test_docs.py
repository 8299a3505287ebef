"""The reference pages in docs/ are what nicegui_e2e.docs writes from the code, byte for byte."""

import re
from pathlib import Path

import pytest

from nicegui_e2e import corpus, docs, settings

DOCS = Path(__file__).resolve().parent.parent / 'docs'


@pytest.mark.parametrize('name', sorted(docs.PAGES))
def test_the_generated_page_is_current(name):
    assert (DOCS / name).read_bytes() == docs.PAGES[name]().encode('utf-8'), (
        f'docs/{name} is stale: run python -m nicegui_e2e.docs'
    )


def test_every_setting_and_every_known_bug_has_its_row():
    settings_page, bugs_page = docs.settings_page(), docs.known_bugs_page()
    assert all(f'| `{spec.name}` | `{settings.flag(spec.name)}` |' in settings_page for spec in settings.SPECS)
    assert all(f'| {bug.key} | ' in bugs_page and bug.releases in bugs_page for bug in corpus.KNOWN)


def test_the_command_writes_both_pages(tmp_path, capsys):
    assert docs.main(['--out', str(tmp_path)]) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(docs.PAGES)
    assert (tmp_path / 'settings.md').read_bytes() == (DOCS / 'settings.md').read_bytes()
    assert 'known-bugs.md' in capsys.readouterr().out


def test_the_readme_quotes_the_team_workflow_that_ci_checks():
    workflow = (DOCS / 'team-workflow.yml').read_text(encoding='utf-8')
    assert f'```yaml\n{workflow}```' in (DOCS.parent / 'README.md').read_text(encoding='utf-8')


def test_every_flag_the_documents_name_is_a_setting():
    """The README's own flags are held to pytest's options in tests/test_plugin.py; the pages beside it here."""
    offered = {settings.flag(spec.name) for spec in settings.SPECS}
    for path in [DOCS.parent / 'CONTRIBUTING.md', *DOCS.glob('*.md')]:
        named = set(re.findall(r'--nicegui-e2e-[a-z][a-z-]*[a-z]', path.read_text(encoding='utf-8')))
        assert named <= offered, f'{path.name} names flags no setting makes: {sorted(named - offered)}'
