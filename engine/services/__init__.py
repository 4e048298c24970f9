"""The units of work: each reads the clock once, loads what it needs, asks the core
(engine/core) to decide, and writes the decisions in one transaction."""
