"""End-to-end tests of NiceGUI's connection lifecycle: a pytest plugin (opt-in: ``-p nicegui_e2e.plugin``) and
the plain objects behind it, usable from scripts and benchmarks without pytest."""
