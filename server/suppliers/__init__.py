"""Gas suppliers (燃气经营者) of a county: named in the field, merged by reviewers, counted
in the register (燃气企业重大隐患线索, 待认定: 建城规〔2023〕4号 Art 3 leaves the judgement
to county-level gas authorities).

`identity` is pure (the supplier id of a name in a county); `service` reads and merges.
"""
