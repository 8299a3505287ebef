"""Ask the package without running a storm: ``python -m nicegui_e2e bugs [VERSION]``.

``bugs`` prints the known bugs of a NiceGUI release (the installed one by default, read from the package's
metadata without importing NiceGUI) and the first release free of them; it exits 1 where any apply, 0 where
none do, 2 where the release cannot be read.
"""
from __future__ import annotations

import argparse
import sys
from importlib.metadata import PackageNotFoundError, version

from packaging.version import InvalidVersion

from . import corpus

EXIT_NONE, EXIT_BUGS, EXIT_USAGE = 0, 1, 2


def installed_nicegui() -> str | None:
    try:
        return version('nicegui')
    except PackageNotFoundError:
        return None


def bugs(release: str | None) -> int:
    """Print the known bugs of ``release`` (default: the installed NiceGUI); the exit code says whether any."""
    release = release or installed_nicegui()
    if release is None:
        print('nicegui-e2e: NiceGUI is not installed here; name a release, like: python -m nicegui_e2e bugs 3.7.1',
              file=sys.stderr)
        return EXIT_USAGE
    try:
        found = corpus.known_bugs_of(release)
    except InvalidVersion:
        print(f'nicegui-e2e: VERSION = {release!r} from the command line: wants a NiceGUI release, like 3.7.1',
              file=sys.stderr)
        return EXIT_USAGE
    known = f'the {len(corpus.KNOWN) + 1} lifecycle bugs this package knows'  # #4304 is not in KNOWN
    if not found:
        print(f'NiceGUI {release}: none of {known}')
        return EXIT_NONE
    print(f'NiceGUI {release}: {len(found)} of {known}')
    for bug in found:
        print(f'  {bug.key} (NiceGUI {bug.releases}, fixed in {bug.first_fixed}): {bug.what}')
    print(f'first release free of the bugs this package knows: {corpus.first_release_free(release)}')
    return EXIT_BUGS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m nicegui_e2e', description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest='command', required=True)
    asked = commands.add_parser('bugs', help='the known bugs of a NiceGUI release and the first release free of them')
    asked.add_argument('version', nargs='?', help='a NiceGUI release, like 3.7.1 (default: the installed one)')
    arguments = parser.parse_args(argv)
    return bugs(arguments.version)


if __name__ == '__main__':
    sys.exit(main())
