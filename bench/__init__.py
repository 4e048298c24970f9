"""The performance benchmark: `python -m bench` (see README, Performance)."""
