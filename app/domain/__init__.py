"""Domain rules and records. Pure Python: never imports Qt or SQL."""
