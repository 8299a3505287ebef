"""The reference pages written from the code: ``docs/settings.md`` from :data:`settings.SPECS` and
``docs/known-bugs.md`` from :data:`corpus.KNOWN`, so that neither table is kept by hand.

``python -m nicegui_e2e.docs`` (from the repository's root, or ``--out DIR``) writes both; ``tests/test_docs.py``
fails while a page in ``docs/`` differs from what this module writes.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Callable

from . import corpus, settings

GENERATED = '<!-- written by `python -m nicegui_e2e.docs` from {source}: edit that, not this page -->\n'


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    def line(cells: Sequence[str]) -> str:
        return '| ' + ' | '.join(cell.replace('|', '\\|') for cell in cells) + ' |'

    return [line(header), line(['---'] * len(header)), *map(line, rows)]


def settings_page() -> str:
    lines = [
        GENERATED.format(source='`SPECS` in `nicegui_e2e/settings.py`'),
        '# Settings',
        '',
        'Each setting is a flag, an environment variable and an ini key (`nicegui_e2e_<name>`); the flag wins, '
        'then the variable, then the ini file, then the default. They are read once, at start; a bad value stops '
        'the run with one line that names the setting, the value and where it came from. The header of a run '
        'lists every setting not at its default, with its source.',
        '',
        *_table(
            ('name', 'flag', 'environment variable', 'default', 'meaning'),
            (
                (
                    f'`{spec.name}`',
                    f'`{settings.flag(spec.name)}`',
                    f'`{settings.env(spec.name)}`',
                    f'`{spec.default}`' if spec.default else 'not set',
                    spec.help,
                )
                for spec in settings.SPECS
            ),
        ),
    ]
    return '\n'.join(lines) + '\n'


def known_bugs_page() -> str:
    lines = [
        GENERATED.format(source='`KNOWN` in `nicegui_e2e/corpus.py`'),
        '# Known lifecycle bugs of NiceGUI',
        '',
        'The bugs the suite knows, with the releases each affects (read from the tags and confirmed by running '
        'the storm on both sides of the fix) and the test whose storm catches it. On an affected release that '
        'storm must show the bug ("bug detected"); on every other release it must pass. #4304 is held to its '
        'releases by the fix modes, not by this table.',
        '',
        *_table(
            ('bug', 'what goes wrong', 'affected releases', 'fixed in', 'caught by'),
            ((bug.key, bug.what, bug.releases, bug.fixed_in, f'`{bug.test}`') for bug in corpus.KNOWN),
        ),
    ]
    return '\n'.join(lines) + '\n'


PAGES: dict[str, Callable[[], str]] = {'settings.md': settings_page, 'known-bugs.md': known_bugs_page}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m nicegui_e2e.docs', description=__doc__.splitlines()[0])
    parser.add_argument('--out', type=Path, default=Path('docs'), help='folder to write the pages to (default: docs)')
    out: Path = parser.parse_args(argv).out
    for name, page in PAGES.items():
        (out / name).write_bytes(page().encode('utf-8'))
        print(f'wrote {out / name}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
