"""The ``khaosat`` command: opens the GUI by default; subcommands for headless work."""
