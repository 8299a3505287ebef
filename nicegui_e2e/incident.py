"""Turn a server's captured output into incidents, group them into signatures, and apply the allow-list.

Knows nothing of browsers or servers: it reads text and JSON-lines records. Structured records are the
primary source (exact types and frames); the raw text is parsed too, because anything printed without
``logging`` exists only there. A raw traceback that echoes a record is folded into it, so nothing is
counted twice and nothing is lost.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from . import corpus

ISSUE_4304 = 'KeyError in handle_disconnect (#4304)'
CAUSE_SEPARATORS = {
    'During handling of the above exception, another exception occurred:': 'context',
    'The above exception was the direct cause of the following exception:': 'cause',
}
FRAME_LINE = re.compile(r'^\s+File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>\S+)')
EXCEPTION_LINE = re.compile(r'^(?P<type>[A-Za-z_][\w.]*)(?::\s?(?P<message>.*))?$')
VOLATILE = re.compile(r"'[^']*'|\"[^\"]*\"|0x[0-9a-f]+|\b\d+\b|[0-9a-f]{8}-[0-9a-f-]{27}", re.IGNORECASE)


@dataclass(frozen=True)
class Frame:
    file: str
    function: str
    line: int

    @property
    def module(self) -> str:
        """A dotted module name that is the same on every machine: the path below site-packages, or the
        last two path parts for code that is not installed."""
        parts = Path(self.file).with_suffix('').parts
        if 'site-packages' in parts:
            parts = parts[len(parts) - parts[::-1].index('site-packages') :]
        else:
            parts = parts[-2:]
        return '.'.join(part for part in parts if part not in ('/', ''))


@dataclass(frozen=True)
class Exc:
    """One exception of a chain."""

    type: str
    message: str
    frames: tuple[Frame, ...]

    @property
    def raising_frame(self) -> Frame | None:
        return self.frames[-1] if self.frames else None


@dataclass(frozen=True)
class Incident:
    """One error the server reported: the exception (if any), its causes (outermost first), where it came from."""

    exc: Exc
    causes: tuple[tuple[str, Exc], ...] = ()
    logger: str | None = None
    level: str = 'ERROR'
    time: float | None = None
    source: str = 'record'

    @property
    def signature(self) -> str:
        """Type plus raising frame: stable across runs and machines, unlike messages full of socket ids. Without
        a frame (a log line, not an exception), the message's first line stands in: a signature is one line."""
        frame = self.exc.raising_frame
        if frame is None:
            first_line = self.exc.message.split('\n', 1)[0]
            return f'{self.exc.type}@{self.logger or "?"}: {VOLATILE.sub("_", first_line)[:80]}'
        return f'{self.exc.type}@{frame.module}:{frame.function}'

    def through(self, folder: str) -> list[Frame]:
        """The frames of this error (its causes' too) in code below ``folder`` that is not installed there: the
        app's own code, for the app's folder ('' gives none)."""
        if not folder:
            return []
        inside = folder.rstrip('/') + '/'
        return [
            frame
            for exc in (self.exc, *(cause for _, cause in self.causes))
            for frame in exc.frames
            if frame.file.startswith(inside) and 'site-packages' not in Path(frame.file).parts
        ]

    @property
    def is_4304(self) -> bool:
        """The upstream bug: a KeyError raised in a disconnect handler's mapping lookup."""
        return self.exc.type == 'KeyError' and any(f.function == 'handle_disconnect' for f in self.exc.frames)


def _exc_from_record(data: Mapping[str, Any]) -> Exc:
    frames = tuple(Frame(f['file'], f['function'], int(f['line'])) for f in data.get('frames', []))
    return Exc(data['type'], data.get('message', ''), frames)


def from_records(records: Iterable[Mapping[str, Any]], *, min_level: str = 'ERROR') -> list[Incident]:
    """Incidents from structured records: every record with an exception, and every record at
    ``min_level`` or above without one."""
    order = ('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL')
    threshold = order.index(min_level)
    incidents = []
    for record in records:
        exception = record.get('exception')
        level = record.get('level', 'ERROR')
        if exception:
            exc = _exc_from_record(exception)
            causes = tuple((c.get('relation', 'context'), _exc_from_record(c)) for c in exception.get('causes', []))
        elif level in order and order.index(level) >= threshold:
            exc, causes = Exc(f'Log{level.title()}', record.get('message', ''), ()), ()
        else:
            continue
        incidents.append(Incident(exc, causes, record.get('logger'), level, record.get('time'), 'record'))
    return incidents


def parse_tracebacks(text: str) -> list[Incident]:
    """Every traceback in raw output, chained ones joined: Python prints the root cause first."""
    incidents: list[Incident] = []
    chain: list[tuple[str, Exc]] = []  # (relation to the next one, exception), root cause first
    pending_relation: str | None = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip() in CAUSE_SEPARATORS:
            pending_relation = CAUSE_SEPARATORS[line.strip()]
            i += 1
            continue
        if line.startswith('Traceback (most recent call last):'):
            exc, i = _read_traceback(lines, i + 1)
            if exc is None:
                continue
            if pending_relation is None and chain:
                incidents.append(_close_chain(chain))
                chain = []
            chain.append((pending_relation or '', exc))
            pending_relation = None
            continue
        if line.strip() and pending_relation is None and chain and not line.startswith(' '):
            incidents.append(_close_chain(chain))
            chain = []
        i += 1
    if chain:
        incidents.append(_close_chain(chain))
    return incidents


def _read_traceback(lines: Sequence[str], i: int) -> tuple[Exc | None, int]:
    frames: list[Frame] = []
    while i < len(lines):
        line = lines[i]
        match = FRAME_LINE.match(line)
        if match:
            frames.append(Frame(match['file'], match['function'], int(match['line'])))
        elif line and not line.startswith(' '):
            head = EXCEPTION_LINE.match(line)
            if head:
                return Exc(head['type'].rsplit('.', 1)[-1], head['message'] or '', tuple(frames)), i + 1
            return None, i
        i += 1
    return None, i


def _close_chain(chain: list[tuple[str, Exc]]) -> Incident:
    """The last exception printed is the one raised; the ones before it are its causes, nearest first."""
    *earlier, (_, outer) = chain
    causes = []
    relation_to_next = [relation for relation, _ in chain[1:]]
    for (_, exc), relation in zip(reversed(earlier), reversed(relation_to_next)):
        causes.append((relation, exc))
    return Incident(outer, tuple(causes), None, 'ERROR', None, 'raw')


def merge(record_incidents: list[Incident], raw_incidents: list[Incident]) -> list[Incident]:
    """Records first; a raw traceback counts only where no record accounts for it."""
    accounted = Counter((i.exc.type, i.exc.message) for i in record_incidents)
    merged = list(record_incidents)
    for incident in raw_incidents:
        key = (incident.exc.type, incident.exc.message)
        if accounted[key] > 0:
            accounted[key] -= 1
        else:
            merged.append(incident)
    return merged


@dataclass(frozen=True)
class AllowEntry:
    """An entry of an allow-list: incidents it lets pass by their ``signature``, or, with ``bug``, a known bug of
    NiceGUI a team accepts by its key (``[[known_bug]]``) until it can upgrade: the storm reads the findings of
    that bug on a release that has it as accepted, not failed (:meth:`nicegui_e2e.lifecycle.StormReport.accepted`)."""

    signature: str
    reason: str
    nicegui: str = ''
    requires: tuple[tuple[str, str], ...] = ()
    shipped: bool = False  # from the list the package ships, not the user's: its staleness is not the user's news
    bug: str = ''  # the key of the known bug this entry accepts (corpus.EVERY); its signature is then ''

    def applies(self, versions: Mapping[str, str]) -> bool:
        """Whether this entry is in force for the installed versions (all ranges must hold)."""
        wanted = ([('nicegui', self.nicegui)] if self.nicegui else []) + list(self.requires)
        for package, spec in wanted:
            version = versions.get(package)
            if version is None or version not in SpecifierSet(spec, prereleases=True):
                return False
        return True

    def matches(self, incident: Incident) -> bool:
        return fnmatch.fnmatchcase(incident.signature, self.signature)


def _installed(package: str) -> bool:
    try:
        metadata.version(package)
    except metadata.PackageNotFoundError:
        return False
    return True


class AllowListError(ValueError):
    """The allow-list file is unreadable; the message names the file and the entry."""


def load_allowlist(
    path: Path, installed: Callable[[str], bool] = _installed, *, shipped: bool = False
) -> list[AllowEntry]:
    """Read and check an allow-list; every problem is one line naming the file and the entry."""
    if not path.is_file():
        raise AllowListError(f'allow-list not found: {path}')
    try:
        data = tomllib.loads(path.read_text(encoding='utf-8'))
    except (OSError, UnicodeDecodeError) as error:
        raise AllowListError(f'{path}: unreadable: {error}') from None
    except tomllib.TOMLDecodeError as error:
        raise AllowListError(f'{path}: {error}') from None
    allow = data.get('allow', [])
    if not isinstance(allow, list):
        raise AllowListError(f'{path}: "allow" must be an array of tables ([[allow]] entries)')
    entries = []
    for n, raw in enumerate(allow, start=1):
        if (
            not isinstance(raw, dict)
            or not isinstance(raw.get('signature'), str)
            or not isinstance(raw.get('reason'), str)
        ):
            raise AllowListError(f'{path}: entry {n} needs both "signature" and "reason"')
        if raw['signature'].startswith('KeyError@') and 'handle_disconnect' in raw['signature']:
            raise AllowListError(f'{path}: entry {n} would allow #4304, which always fails')
        requires = raw.get('requires', {})
        missing = sorted(package for package in requires if not installed(package))
        if missing:
            raise AllowListError(f'{path}: entry {n} names {missing[0]!r}, which is not installed here')
        entry = AllowEntry(
            raw['signature'], raw['reason'], raw.get('nicegui', ''), tuple(sorted(requires.items())), shipped
        )
        try:
            for spec in [entry.nicegui, *(spec for _, spec in entry.requires)]:
                SpecifierSet(spec)
        except InvalidSpecifier as error:
            raise AllowListError(f'{path}: entry {n}: {error}') from None
        entries.append(entry)
    return entries + _accepted_bugs(path, data, shipped)


def _accepted_bugs(path: Path, data: Mapping[str, Any], shipped: bool) -> list[AllowEntry]:
    """The ``[[known_bug]]`` entries: each names a known bug by its key and says why the team accepts it."""
    accepted = data.get('known_bug', [])
    if not isinstance(accepted, list):
        raise AllowListError(f'{path}: "known_bug" must be an array of tables ([[known_bug]] entries)')
    keys = [bug.key for bug in corpus.EVERY]
    entries = []
    for n, raw in enumerate(accepted, start=1):
        key = raw.get('key') if isinstance(raw, dict) else None
        named = f'known_bug entry {n}' + (f' ({key!r})' if isinstance(key, str) else '')
        if not isinstance(key, str) or not isinstance(raw.get('reason'), str) or not raw['reason'].strip():
            raise AllowListError(f'{path}: {named} needs both "key" and "reason" (why the team cannot upgrade yet)')
        if key not in keys:
            raise AllowListError(
                f'{path}: {named} is no known bug of NiceGUI; the keys are {", ".join(keys)} '
                '(python -m nicegui_e2e bugs says which your release has)'
            )
        entries.append(AllowEntry('', raw['reason'].strip(), shipped=shipped, bug=key))
    return entries


@dataclass
class Judged:
    """Incidents sorted by what the policy makes of them."""

    failing: list[Incident] = field(default_factory=list)
    allowed: list[tuple[Incident, AllowEntry]] = field(default_factory=list)
    live: list[AllowEntry] = field(default_factory=list)
    accepting: list[AllowEntry] = field(default_factory=list)  # entries that accept a known bug, on any release

    @property
    def issue_4304(self) -> list[Incident]:
        return [i for i in self.failing if i.is_4304]

    def signature_counts(self) -> dict[str, tuple[int, bool]]:
        """signature -> (count, allowed?), for the summary."""
        counts: dict[str, tuple[int, bool]] = {}
        for incident in self.failing:
            name = ISSUE_4304 if incident.is_4304 else incident.signature
            counts[name] = (counts.get(name, (0, False))[0] + 1, False)
        for incident, _ in self.allowed:
            counts[incident.signature] = (counts.get(incident.signature, (0, True))[0] + 1, True)
        return counts


def judge(
    incidents: Iterable[Incident],
    allowlist: Sequence[AllowEntry],
    versions: Mapping[str, str],
    is_failure: Callable[[Incident], bool] = lambda i: i.level in ('ERROR', 'CRITICAL'),
) -> Judged:
    """#4304 always fails here; an ERROR fails unless an entry in force allows it. ``live`` and the entries of
    ``allowed`` let the session report entries in force that allowed nothing as stale, so that the list does not
    rot. Entries that accept a known bug allow no incident: they go to ``accepting``, for the storm to read
    against its release."""
    judged = Judged(
        live=[entry for entry in allowlist if not entry.bug and entry.applies(versions)],
        accepting=[entry for entry in allowlist if entry.bug],
    )
    for incident in incidents:
        if not incident.is_4304 and not is_failure(incident):
            continue
        entry = None if incident.is_4304 else next((e for e in judged.live if e.matches(incident)), None)
        if entry is None:
            judged.failing.append(incident)
        else:
            judged.allowed.append((incident, entry))
    return judged
