"""This repository's browser suite. The shipped suite's storms of the kinds that ``test_family.py`` runs on the same
demo app, held there to the corpus of known bugs of each release, are not collected a second time through
``test_navigation_storms.py``: there they would judge the same storm without the release's known bugs, and fail
the matrix's cells of those releases for a bug the family test already shows. ``test_shipped_suite.py`` runs them
as a team does."""

from __future__ import annotations

import pytest

IN_THE_FAMILY = ('drop', 'early-click')
"""Storm kinds whose shipped-suite storm ``test_family.py`` runs on the demo app, with the corpus's expectations."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    twice = {f'test_navigation_storms.py::test_storm_leaves_the_lifecycle_intact[{kind}]' for kind in IN_THE_FAMILY}
    dropped = [item for item in items if item.nodeid.split('/')[-1] in twice]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]
