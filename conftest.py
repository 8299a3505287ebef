"""Project root conftest: this repository's own runs enable the opt-in plugin, so ``pytest e2e`` works as is."""

pytest_plugins = ['nicegui_e2e.plugin']
