"""The pure core: the product's rules as functions of plain values.

No SQL, no ORM, no `await`, no clock: what an activity does is `evaluation.decide`, which the
units of work (engine/services) call between loading state and writing decisions.
"""
