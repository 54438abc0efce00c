// Sites: search the phone's copy by name, code or address; sites near me by GPS.
import { t } from "../i18n.js";
import { h, mount, link, toast } from "../ui.js";
import { searchSites, sitesNear } from "../sites.js";
import { currentPosition, fmtDistance } from "../geo.js";

export function siteCard(site, extra = null) {
  return h("a", { class: "card", href: `#/site/${site.id}`, "data-test": "site-card" },
    h("div", { class: "title" }, site.name, site.local ? h("span", { class: "tag warn" }, t("site.pending")) : null),
    h("div", { class: "meta" }, `${t(`kind.${site.kind}`)} · ${site.code || "—"} · ${site.address || ""}`),
    extra ? h("div", { class: "meta" }, extra) : null);
}

let lastQuery = "";

export async function render(root) {
  const results = h("ul", { class: "list", "data-test": "site-results" });
  const count = h("p", { class: "muted small" });
  const input = h("input", { type: "search", placeholder: t("sites.search"), value: lastQuery,
    "aria-label": t("sites.search"), enterkeyhint: "search" });
  let seq = 0;
  const show = (list, distances = null) => {
    mount(count, list.length ? t("sites.count", { n: list.length }) : t("sites.none"));
    mount(results, list.slice(0, 100).map((site) => h("li", {},
      siteCard(site, distances ? t("sites.distance", { d: fmtDistance(distances.get(site.id)) }) : null))));
  };
  const search = async () => {
    const mySeq = ++seq;
    lastQuery = input.value;
    const list = await searchSites(input.value);
    if (mySeq === seq) show(list);
  };
  input.addEventListener("input", search);
  const near = h("button", { type: "button", class: "btn", onclick: async () => {
    near.disabled = true;
    mount(count, t("sites.locating"));
    try {
      const position = await currentPosition();
      const list = await sitesNear(position);
      show(list.map((x) => x.site), new Map(list.map((x) => [x.site.id, x.distance])));
    } catch (err) {
      toast(t("sites.noGps", { why: err.message }), "error");
      mount(count, "");
    } finally {
      near.disabled = false;
    }
  } }, t("sites.near"));
  mount(root, h("h1", {}, t("sites.title")), input,
    h("div", { class: "row" }, near, link(t("sites.add"), "#/sites/new", "btn")), count, results);
  await search();
}
