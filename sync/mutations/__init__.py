"""Mutation families, one module each; they register themselves in `sync.registry`."""

from sync.mutations import hazards, inspections, sites

__all__ = ["hazards", "inspections", "sites"]
