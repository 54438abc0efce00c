"""Checklists published from the console (发布检查表): the repository's versions are the
national defaults; versions published from a sheet live in the database, apply to a
region subtree and site kinds, and are loaded by the same loader (forms).

- `catalogue`: every version a submission may name, and what a user's phone is served;
- `publish`: check an uploaded sheet, preview its diff, publish it, retire a version.
"""
