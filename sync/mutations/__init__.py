"""Mutation families, one module each; they register themselves in `sync.registry`."""
