"""Mutation families, one module each; they register themselves in `sync.registry`."""

from sync.mutations import hazards, inspections, notifications, sites

__all__ = ["hazards", "inspections", "notifications", "sites"]
