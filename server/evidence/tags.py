"""Site tag services (现场二维码): a site's QR image and printable label sheets, in scope.

The tag of a site encodes `payload_url(BASE_URL, site.code, SECRET_KEY)`; `Site.code`
(made by `server.sites.codes`) is the one code. Plain functions of (session, actor, …)
that take the app's settings as a `TagSettings`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from server.auth.scope import region_in_scope, scoped
from server.errors import Invalid, NotFound
from server.evidence import qr
from server.evidence.labels import Label, label_sheet_pdf
from server.models import Region, Site, User
from server.schemas.blobs import MAX_LABELS
from server.sites.service import get_site


@dataclass(frozen=True)
class TagSettings:
    """What a tag needs of the app's settings: where it points, the key that signs it, and
    the CJK font the label sheets are set in (None: the first installed one)."""

    base_url: str
    secret: str
    cjk_font: str | None = None

    @classmethod
    def from_config(cls, config) -> TagSettings:
        return cls(base_url=config["BASE_URL"], secret=config["SECRET_KEY"],
                   cjk_font=config.get("CJK_FONT"))


def payload_for(site: Site, settings: TagSettings) -> str:
    return qr.payload_url(settings.base_url, site.code, settings.secret)


def site_qr_png(session, actor: User, site_id, settings: TagSettings) -> bytes:
    """The PNG of a site's QR tag; NotFound outside the actor's scope."""
    return qr.qr_png(payload_for(get_site(session, actor, site_id), settings))


def label_sheet(session, actor: User, settings: TagSettings, *, region: str | None = None,
                ids: list | None = None) -> bytes:
    """A4 label sheets (PDF) for the sites of a region subtree, or for the listed sites.

    Region not in scope, or a listed site not in scope: NotFound (as if absent).
    No sites: 422 `no_sites`; more than MAX_LABELS: 422 `too_many_labels`.
    """
    sites = _sites_in_region(session, actor, region) if region else _listed(session, actor, ids)
    if not sites:
        raise Invalid("There are no sites to print. 没有可打印的场所。", code="no_sites",
                      details={"region": region} if region else {})
    if len(sites) > MAX_LABELS:
        raise Invalid(f"At most {MAX_LABELS} labels per sheet; choose a smaller area. "
                      f"每次最多打印{MAX_LABELS}个标签。", code="too_many_labels",
                      details={"max": MAX_LABELS})
    places = _place_names(session, {site.region_code for site in sites})
    labels = [Label(site_name=site.name, site_code=site.code,
                    # The address too: two 叶家 of one village differ by their doors.
                    village=" ".join(filter(None, [places.get(site.region_code, ""),
                                                   site.address])),
                    payload=payload_for(site, settings))
              for site in sites]
    return label_sheet_pdf(labels, font_path=settings.cjk_font)


def _sites_in_region(session, actor: User, region: str) -> list[Site]:
    root = region_in_scope(session, actor, region)
    stmt = scoped(select(Site), Site.region_code, actor).where(Site.region_code.in_(
        select(Region.code).where(Region.path.startswith(root.path, autoescape=True))))
    # One more than the cap: enough to know the request is too big, without loading a city.
    stmt = stmt.order_by(Site.region_code, Site.name, Site.code).limit(MAX_LABELS + 1)
    return list(session.scalars(stmt))


def _listed(session, actor: User, ids: list) -> list[Site]:
    wanted = list(dict.fromkeys(ids))
    found = {site.id: site for site in session.scalars(
        scoped(select(Site).where(Site.id.in_(wanted)), Site.region_code, actor))}
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise NotFound("Some sites were not found in your area.", details={"ids": missing})
    return [found[i] for i in wanted]


def _place_names(session, region_codes: set[str]) -> dict[str, str]:
    """What a label says under the name: "<township><village>" for a village, else the name.

    Village names repeat across townships (every township has a 新村); the township makes
    the tag unambiguous on a shared office printer.
    """
    regions = {r.code: r for r in session.scalars(
        select(Region).where(Region.code.in_(region_codes)))}
    parents = {r.code: r for r in session.scalars(select(Region).where(
        Region.code.in_({r.parent_code for r in regions.values() if r.parent_code})))}
    names = {}
    for code, region in regions.items():
        parent = parents.get(region.parent_code)
        prefix = parent.name if region.level == "village" and parent is not None else ""
        names[code] = prefix + region.name
    return names
