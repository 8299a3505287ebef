"""Shared set-up for the benchmark scripts: the suite's plain objects, no pytest."""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from nicegui_e2e.browser import Browser, BrowserOptions
from nicegui_e2e.server import NiceGUIServer, ServerOptions
from nicegui_e2e.wire import Mode

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def server_and_browser(
    fix: Mode,
    *,
    handshake_delay_ms: int = 0,
    server_delay_ms: int = 0,
    app: Path = ROOT / 'apps' / 'multipage.py',
    binary: str | None = None,
) -> Iterator[tuple[NiceGUIServer, Browser]]:
    """One server and one Chrome, ended whatever happens."""
    with tempfile.TemporaryDirectory(prefix='nicegui-e2e-bench-') as tmp:
        server = NiceGUIServer(
            ServerOptions(app=app, disconnect_fix=fix, handshake_delay=server_delay_ms / 1000), Path(tmp) / 'server'
        ).start()
        try:
            options = BrowserOptions(binary=binary, handshake_delay_ms=handshake_delay_ms)
            browser = Browser(options, Path(tmp) / 'chrome')
            try:
                yield server, browser
            finally:
                browser.quit()
        finally:
            server.stop()


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--count', type=int, default=20, help='navigations per storm')
    return parser
