"""The domain and its transactions, in three parts.

- `engine.core`: the product's rules as pure functions of plain values (no SQL, no ORM, no
  `await`, no clock). Read `engine/core/evaluation.py` to know what an order, or any
  activity, does: `decide` takes the customer's state, the activity, the rules and the unit of
  work's clock, and returns the decisions.
- `engine.services`: the units of work. Each reads the clock once, loads the state it needs,
  asks the core, writes the decisions in one transaction, then tells subscribers
  (`recording.py` for one activity, `importing.py` for a batch, `sweep.py`, `recompute.py`,
  `rules.py` for the rules' lifecycle, `preview.py` for what a rule would grant).
- `engine.store`: the SQL, written once for SQLite and PostgreSQL: `driver.py` runs a unit of
  work (a generator of statements) in one hop on SQLite and on one connection on PostgreSQL;
  the other modules load state and write decisions set-wise.

Nothing here imports GraphQL. Domain errors (`engine.core.errors.DomainError`) carry a code
and a field path.
"""
