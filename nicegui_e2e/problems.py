"""An error as the one line a user reads: its type and the first line of its message (Selenium's messages go
on for pages of native stack frames)."""

from __future__ import annotations


def one_line(error: BaseException) -> str:
    text = str(error)
    return f'{type(error).__name__}: {text.splitlines()[0] if text else ""}'
