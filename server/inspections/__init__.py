"""Inspections: submission (from sync), reads and review."""
