"""Every kind of navigation, as a storm against the configured app, judged on the server's own evidence.

The tests are the ones the package ships for any app (``nicegui_e2e.suite``); here they run against this
repository's demo app (``nicegui_e2e_app`` in ``pyproject.toml``). With the fix (on there, as this repository's
design says) each storm must come out clean; with ``--nicegui-e2e-disconnect-fix=off`` on NiceGUI 2.11.0 each
storm that hits the race fails naming #4304.
"""

from nicegui_e2e.suite import (  # noqa: F401  # collected here, as pytest collects what a module holds
    test_a_crowd_keeps_the_lifecycle_intact,
    test_detector_fires_without_the_fix,
    test_natural_timing_is_a_lottery,
    test_storm_leaves_the_lifecycle_intact,
)
