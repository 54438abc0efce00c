// A new site, made offline: the id is made here, the server learns of it on sync.
import { t } from "../i18n.js";
import { h, mount, toast } from "../ui.js";
import { currentSession } from "../session.js";
import { createSite, regionsForNewSite } from "../sites.js";
import { currentPosition } from "../geo.js";

const KINDS = ["household", "restaurant", "shop", "small_venue", "self_built_commercial",
  "rental_housing", "construction_site", "enterprise", "fireworks_point", "forest_area", "gas_point"];
const SECTORS = ["gas", "fire", "construction", "fireworks", "forest", "rural"];
// The sectors a new site of each kind usually needs (editable).
const DEFAULT_SECTORS = {
  household: ["gas", "rural"], restaurant: ["gas", "fire"], shop: ["fire"], small_venue: ["fire"],
  self_built_commercial: ["fire"], rental_housing: ["fire", "gas"],
  construction_site: ["construction", "fire"], enterprise: ["fire", "gas"],
  fireworks_point: ["fireworks"], forest_area: ["forest"], gas_point: ["gas"],
};

export async function render(root) {
  const session = await currentSession();
  const regions = await regionsForNewSite(session);
  let position = null;
  const name = h("input", { name: "name", required: true, maxlength: 200 });
  const kind = h("select", { name: "kind" }, KINDS.map((k) => h("option", { value: k }, t(`kind.${k}`))));
  const region = h("select", { name: "region" }, regions.map((r) => h("option", { value: r.code }, r.name)));
  const address = h("input", { name: "address", maxlength: 300 });
  const contact = h("input", { name: "contact_name", maxlength: 100 });
  const phone = h("input", { name: "contact_phone", type: "tel", inputmode: "tel", maxlength: 32 });
  const sectorBoxes = SECTORS.map((s) => h("label", { class: "inline" },
    h("input", { type: "checkbox", value: s, style: "width:28px;min-height:28px" }), t(`sector.${s}`)));
  const setSectors = () => {
    const wanted = new Set(DEFAULT_SECTORS[kind.value] || []);
    for (const label of sectorBoxes) { const box = label.querySelector("input"); box.checked = wanted.has(box.value); }
  };
  kind.addEventListener("change", setSectors);
  setSectors();
  const gpsText = h("span", { class: "muted" }, t("gps.none"));
  const gpsBtn = h("button", { type: "button", class: "btn", onclick: async () => {
    gpsBtn.disabled = true;
    mount(gpsText, t("sites.locating"));
    try {
      position = await currentPosition();
      mount(gpsText, t("gps.got", { a: position.accuracy_m }));
    } catch (err) {
      mount(gpsText, t("gps.failed", { why: err.message }));
    } finally { gpsBtn.disabled = false; }
  } }, t("newsite.gps"));
  const form = h("form", { onsubmit: async (event) => {
    event.preventDefault();
    if (!name.value.trim()) { name.focus(); return; }
    const sectors = sectorBoxes.map((l) => l.querySelector("input")).filter((b) => b.checked).map((b) => b.value);
    const site = await createSite({
      name: name.value.trim(), kind: kind.value, region_code: region.value,
      address: address.value.trim(), lat: position?.lat ?? null, lon: position?.lon ?? null,
      contact_name: contact.value.trim() || null, contact_phone: phone.value.trim() || null, sectors,
    });
    toast(t("newsite.saved"));
    location.hash = `#/site/${site.id}`;
  } },
  h("label", { class: "field" }, t("newsite.name"), name),
  h("label", { class: "field" }, t("newsite.kind"), kind),
  h("label", { class: "field" }, t("newsite.region"), region),
  h("label", { class: "field" }, t("newsite.address"), address),
  h("label", { class: "field" }, t("newsite.contact"), contact),
  h("label", { class: "field" }, t("newsite.phone"), phone),
  h("fieldset", {}, h("legend", {}, t("newsite.sectors")), sectorBoxes),
  h("div", { class: "row" }, gpsBtn, gpsText),
  h("button", { type: "submit", class: "btn primary block" }, t("newsite.save")));
  mount(root, h("h1", {}, t("newsite.title")), form);
}
