"""Demo data: one city, two counties, three townships, eight villages, ~200 sites, 5 users.

Deterministic (fixed seed, UUIDv5 ids), so running it twice changes nothing.
"""

from __future__ import annotations

import random
import uuid

from sqlalchemy import func, select

from server.auth.service import create_user
from server.models import Region, Site, User
from server.regions import import_regions
from server.sites.service import create_site

DEMO_PASSWORD = "xuncha-demo"
_NS = uuid.UUID("0f2b8c4e-6a51-4d7e-9e0b-3c1d2a4f5b60")

# code, name, level, parent, lat, lon
REGIONS = [
    ("330500", "湖州市", "city", "", 30.894, 120.088),
    ("330502", "吴兴区", "county", "330500", 30.857, 120.185),
    ("330521", "德清县", "county", "330500", 30.542, 119.977),
    ("330502101", "织里镇", "township", "330502", 30.835, 120.263),
    ("330502102", "八里店镇", "township", "330502", 30.862, 120.166),
    ("330521102", "新市镇", "township", "330521", 30.627, 120.281),
    ("330502101201", "晟舍村", "village", "330502101", 30.842, 120.271),
    ("330502101202", "河西村", "village", "330502101", 30.826, 120.251),
    ("330502101203", "漾西村", "village", "330502101", 30.818, 120.284),
    ("330502102201", "尹家圩村", "village", "330502102", 30.871, 120.158),
    ("330502102202", "移沿山村", "village", "330502102", 30.853, 120.176),
    ("330502102203", "潘店村", "village", "330502102", 30.879, 120.181),
    ("330521102201", "宋市村", "village", "330521102", 30.633, 120.273),
    ("330521102202", "蔡界村", "village", "330521102", 30.611, 120.296),
]

DEMO_USERS = [
    ("admin", "市安委办管理员", "city_admin", "330500"),
    ("county1", "吴兴区审核员", "county_reviewer", "330502"),
    ("inspector1", "织里镇检查员 王建国", "township_inspector", "330502101"),
    ("inspector2", "八里店镇检查员 李秀英", "township_inspector", "330502102"),
    ("cadre1", "晟舍村干部 张卫东", "village_cadre", "330502101201"),
]

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
_KIND_NAMES = {
    "household": ("{s}家", ["gas", "rural"]),
    "restaurant": ("{s}记{t}", ["gas", "fire"]),
    "shop": ("{s}氏{u}", ["fire"]),
    "small_venue": ("{v}", ["fire"]),
    "self_built_commercial": ("{s}家自建房（{w}）", ["fire"]),
    "rental_housing": ("{s}家出租房", ["fire", "gas"]),
    "construction_site": ("{x}工程项目", ["construction", "fire"]),
    "enterprise": ("湖州{y}有限公司", ["fire", "gas"]),
    "fireworks_point": ("{s}记烟花爆竹零售点", ["fireworks"]),
    "forest_area": ("{z}林区", ["forest"]),
}
_KIND_WEIGHTS = [("household", 70), ("restaurant", 40), ("shop", 25), ("small_venue", 20),
                 ("self_built_commercial", 12), ("rental_housing", 10),
                 ("construction_site", 8), ("enterprise", 8), ("fireworks_point", 5),
                 ("forest_area", 2)]
_FILL = {
    "t": ["面馆", "饭店", "小吃", "烧烤", "馄饨店", "土菜馆", "快餐"],
    "u": ["便利店", "五金店", "副食店", "服装店", "建材店"],
    "v": ["童装加工作坊", "棋牌室", "理发店", "小旅馆", "网吧", "幼儿托管点", "洗浴中心",
          "小超市", "卫生室"],
    "w": ["四层", "三层", "五层"],
    "x": ["织里童装产业园三期", "东林路拓宽", "安置小区二标段", "学校教学楼", "厂房扩建"],
    "y": ["丝绸", "童装", "木业", "机械", "纺织"],
    "z": ["西山", "南山", "竹园"],
}
_ROADS = ["中路", "东路", "西街", "南街", "北路", "大道", "新村"]


def _sites(villages: list[tuple]) -> list[dict]:
    rng = random.Random(20261122)
    kinds = [k for k, w in _KIND_WEIGHTS for _ in range(w)]
    out = []
    for n in range(200):
        code, vname, _level, _parent, lat, lon = villages[n % len(villages)]
        kind = kinds[n]
        pattern, sectors = _KIND_NAMES[kind]
        name = pattern.format(s=rng.choice(_SURNAMES), **{k: rng.choice(v) for k, v in _FILL.items()})
        out.append({
            "id": uuid.uuid5(_NS, f"site:{n}"),
            "name": name,
            "kind": kind,
            "region_code": code,
            "address": f"{vname}{rng.choice(_ROADS)}{rng.randint(1, 199)}号",
            "lat": round(lat + rng.uniform(-0.008, 0.008), 6),
            "lon": round(lon + rng.uniform(-0.008, 0.008), 6),
            "contact_name": rng.choice(_SURNAMES) + rng.choice(["先生", "女士", "师傅"]),
            "contact_phone": f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
            "sectors": sectors,
        })
    return out


def load_demo(session, only_if_empty: bool = False) -> bool:
    """Load what is missing of the demo set. Returns False when nothing was added."""
    if only_if_empty and session.scalar(select(func.count()).select_from(User)):
        return False
    added = False
    missing = [r for r in REGIONS if session.get(Region, r[0]) is None]
    if missing:
        lines = ["code,name,level,parent_code,lat,lon"]
        lines += [",".join(map(str, r)) for r in missing]
        import_regions(session, "\n".join(lines))
        added = True
    for username, name, role, region in DEMO_USERS:
        if session.scalar(select(User.id).where(User.username == username)) is None:
            create_user(session, None, username=username, name=name, role=role,
                        region_code=region, password=DEMO_PASSWORD)
            added = True
    villages = [r for r in REGIONS if r[2] == "village"]
    for data in _sites(villages):
        if session.get(Site, data["id"]) is None:
            create_site(session, None, data)
            added = True
    session.flush()
    return added
