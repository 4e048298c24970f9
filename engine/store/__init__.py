"""The SQL of the engine's hot paths, written once for SQLite and PostgreSQL.

`driver` runs a unit of work (a generator of statements) on either database; the other modules
hold the statements that load an evaluation's state and write its decisions.
"""
