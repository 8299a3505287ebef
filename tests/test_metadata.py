"""What the wheel says of itself: its version is the newest entry of the changelog, its licence is there."""

import re
from pathlib import Path

import tomllib
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / 'pyproject.toml').read_text(encoding='utf-8'))['project']


def test_the_version_is_the_newest_changelog_entry_and_dev_while_unreleased():
    newest = re.search(r'^## (\S+) \((.+)\)$', (ROOT / 'CHANGELOG.md').read_text(encoding='utf-8'), re.MULTILINE)
    assert newest, 'CHANGELOG.md has no entry "## VERSION (DATE or unreleased)"'
    version = Version(PROJECT['version'])
    assert version.base_version == newest.group(1)
    assert version.is_devrelease == (newest.group(2) == 'unreleased'), (
        f'version {version} against the changelog entry "{newest.group(0)}"'
    )


def test_the_licence_is_declared_and_shipped():
    assert PROJECT['license'] == 'MIT' and PROJECT['license-files'] == ['LICENSE']
    assert (ROOT / 'LICENSE').read_text(encoding='utf-8').startswith('MIT License\n\nCopyright (c) 2026 the ')
