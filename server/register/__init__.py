"""The hazard register (隐患台账): lifecycle rules, projection, services, statistics,
exports. `lifecycle` and `projection` are pure; everything else takes a session."""
