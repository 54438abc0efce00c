"""Campaigns (专项行动): a county's or city's drive to inspect every site of some kinds and
sectors in a window, sites assigned to inspectors (包村) and coverage (应查尽查)."""
