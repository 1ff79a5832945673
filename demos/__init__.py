"""Runnable demos: `python -m demos.NAME --help` (moons, xor, spiral, regression, tour, ...)."""
