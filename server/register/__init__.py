"""The hazard register (隐患台账): lifecycle rules, projection, services, statistics and
the dashboard's figures, settling sync conflicts, exports. `lifecycle` and `projection`
are pure; everything else takes a session."""
