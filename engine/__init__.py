"""The domain: what counts, what is granted, what a reward issues, and each transaction.

Nothing here imports GraphQL. Functions take plain values, return plain results and raise
`engine.errors.DomainError` (or `UserErrors`) carrying a code and a field path.
"""
