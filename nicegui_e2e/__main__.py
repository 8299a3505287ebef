"""The package's commands: ``python -m nicegui_e2e bugs [VERSION]`` and ``python -m nicegui_e2e init [PATH]``.

``bugs`` prints the known bugs of a NiceGUI release (the installed one by default, read from the package's
metadata without importing NiceGUI) and the first release free of them; it exits 1 where any apply, 0 where
none do, 2 where the release cannot be read.

``init`` writes a one-line test module into a team's project that pulls in the shipped suite, so that its
storms get node ids under the team's own file (``pytest test_lifecycle.py::test_...`` reruns one storm); it
never overwrites a file.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.version import InvalidVersion

from . import corpus

EXIT_NONE, EXIT_BUGS, EXIT_USAGE = 0, 1, 2


def installed_nicegui() -> str | None:
    try:
        return version('nicegui')
    except PackageNotFoundError:
        return None


def bugs(release: str | None) -> int:
    """Print the known bugs of ``release`` (default: the installed NiceGUI); the exit code says whether a later
    release fixes any of them (a bug no release fixes yet is printed, and an upgrade would not help)."""
    release = release or installed_nicegui()
    if release is None:
        print(
            'nicegui-e2e: NiceGUI is not installed here; name a release, like: python -m nicegui_e2e bugs 3.7.1',
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        found = corpus.known_bugs_of(release)
    except InvalidVersion:
        print(
            f'nicegui-e2e: VERSION = {release!r} from the command line: wants a NiceGUI release, like 3.7.1',
            file=sys.stderr,
        )
        return EXIT_USAGE
    known = f'the {len(corpus.KNOWN) + 1} lifecycle bugs this package knows'  # #4304 is not in KNOWN
    if not found:
        print(f'NiceGUI {release}: none of {known}')
        return EXIT_NONE
    print(f'NiceGUI {release}: {len(found)} of {known}')
    for bug in found:
        print(f'  {bug.label}: {bug.what}')
    free = corpus.first_release_free(release)
    if free:
        print(f'first release free of the bugs this package knows a fix for: {free}')
    unfixed = [bug.key for bug in found if not bug.first_fixed]
    if unfixed:
        print(
            f'no release fixes {", ".join(unfixed)} yet, so upgrading does not help there; the exit status says '
            'whether a release fixes a bug of this one'
        )
    return EXIT_BUGS if free else EXIT_NONE


TEST_MODULE = 'test_lifecycle.py'


def suite_module(name: str) -> str:
    """The one line of a team's test module: the shipped suite's tests, collected under the team's file."""
    return f'from nicegui_e2e.suite import *  # noqa: F403  nicegui-e2e storms: pytest -p nicegui_e2e.plugin {name}\n'


def init(path: str | None) -> int:
    """Write the team's test module at ``path`` (a file, or a folder to write :data:`TEST_MODULE` in)."""
    target = Path(path or TEST_MODULE)
    if target.is_dir():
        target = target / TEST_MODULE
    source = 'the command line' if path else 'the default'
    problem = ''
    if target.exists():
        problem = 'the file exists, and init does not overwrite it; name another file'
    elif target.suffix != '.py':
        problem = 'wants a Python file, like test_lifecycle.py'
    elif not target.parent.is_dir():
        problem = f'no such folder ({target.parent})'
    if problem:
        print(f'nicegui-e2e: PATH = {str(target)!r} from {source}: {problem}', file=sys.stderr)
        return EXIT_USAGE
    target.write_text(suite_module(target.name), encoding='utf-8')
    print(f'wrote {target}: run it with  pytest -p nicegui_e2e.plugin {target} --nicegui-e2e-app main.py -n auto')
    return EXIT_NONE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m nicegui_e2e', description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest='command', required=True)
    asked = commands.add_parser('bugs', help='the known bugs of a NiceGUI release and the first release free of them')
    asked.add_argument('version', nargs='?', help='a NiceGUI release, like 3.7.1 (default: the installed one)')
    written = commands.add_parser('init', help="write a test module of the suite's storms into your project")
    written.add_argument(
        'path', nargs='?', help=f'the file to write, or a folder for {TEST_MODULE} (default: {TEST_MODULE})'
    )
    arguments = parser.parse_args(argv)
    return bugs(arguments.version) if arguments.command == 'bugs' else init(arguments.path)


if __name__ == '__main__':
    sys.exit(main())
