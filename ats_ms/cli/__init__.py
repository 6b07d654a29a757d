"""Command-line commands: one module per command, each with ``main(argv) -> int``; wiring only, no logic."""
