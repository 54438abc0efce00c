"""The sync engine: idempotent push, scoped pull, the merge and plausibility rules.

It calls the server's domain services and models; it never touches `flask.request`.
"""
