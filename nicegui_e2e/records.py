"""Structured log records: one JSON object per line, written inside the server process.

Raw stderr tells a human what happened; these records tell the collector the same thing without guessing
where a traceback starts or which exception caused which. Both are kept, because a line that bypasses
``logging`` (a bare ``print`` or a crash in the interpreter) only ever reaches the raw log.
"""

from __future__ import annotations

import json
import logging
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any


def describe_exception(exc: BaseException) -> dict[str, Any]:
    """Type, message, frames and the chain of causes of one exception, as plain data."""
    return {
        'type': type(exc).__name__,
        'module': type(exc).__module__,
        'message': str(exc),
        'frames': _frames(exc.__traceback__),
        'causes': list(_causes(exc)),
    }


def _frames(tb: TracebackType | None) -> list[dict[str, Any]]:
    return [
        {'file': frame.filename, 'function': frame.name, 'line': frame.lineno} for frame in traceback.extract_tb(tb)
    ]


def _causes(exc: BaseException) -> Iterator[dict[str, Any]]:
    """Walk ``__cause__`` / ``__context__`` the way Python prints them, outermost first."""
    seen = {id(exc)}
    current: BaseException | None = exc
    while current is not None:
        if current.__cause__ is not None:
            relation, nxt = 'cause', current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            relation, nxt = 'context', current.__context__
        else:
            return
        if id(nxt) in seen:
            return
        seen.add(id(nxt))
        yield {
            'relation': relation,
            'type': type(nxt).__name__,
            'message': str(nxt),
            'frames': _frames(nxt.__traceback__),
        }
        current = nxt


class JsonLinesHandler(logging.Handler):
    """Append every record to a file as one JSON line, flushed at once so a crash loses nothing."""

    def __init__(self, path: Path) -> None:
        super().__init__(level=logging.DEBUG)
        self._file = open(path, 'a', encoding='utf-8', buffering=1)
        self._write_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data: dict[str, Any] = {
                'time': record.created,
                'level': record.levelname,
                'logger': record.name,
                'message': record.getMessage(),
                'exception': None,
            }
            if record.exc_info and record.exc_info[1] is not None:
                data['exception'] = describe_exception(record.exc_info[1])
            line = json.dumps(data, default=str)
            with self._write_lock:
                self._file.write(line + '\n')
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        """Flush only: ``logging.config.dictConfig`` (uvicorn calls it) closes every existing handler, and
        this one must outlive that; the file is closed when the server process ends."""
        with self._write_lock:
            self._file.flush()


class LastResortEcho(logging.StreamHandler):
    """Print what Python's last-resort handler would have printed had ours not been installed.

    A record that finds no handler at all goes to stderr through ``logging.lastResort`` (WARNING and up).
    Installing the JSON handler on the root logger means every record finds one, which would silence those
    lines in the raw log; this handler puts them back, and only them.
    """

    def __init__(self, own: logging.Handler) -> None:
        super().__init__()
        self.setLevel(logging.WARNING)
        self._own = own

    def emit(self, record: logging.LogRecord) -> None:
        if not self._handled_elsewhere(record):
            super().emit(record)

    def _handled_elsewhere(self, record: logging.LogRecord) -> bool:
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None:
            if any(h not in (self, self._own) and record.levelno >= h.level for h in logger.handlers):
                return True
            logger = logger.parent if logger.propagate else None
        return False


def read_records(path: Path) -> list[dict[str, Any]]:
    """Read a JSON-lines file; a torn last line (server killed mid-write) is kept as a raw message."""
    records: list[dict[str, Any]] = []
    if not path.exists():
        return records
    for line in path.read_text(encoding='utf-8', errors='replace').splitlines():
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            records.append(
                {
                    'time': None,
                    'level': 'ERROR',
                    'logger': 'nicegui_e2e.records',
                    'message': f'unreadable record: {line}',
                    'exception': None,
                }
            )
    return records
