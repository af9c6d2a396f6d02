"""Deterministic, realistic demo data (``khaosat demo``), used by tests and benchmarks."""
