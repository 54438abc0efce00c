// Report a hazard without a checklist (随手拍): a photo, the sector, the severity, a
// description and where it came from (our own inspection, a company's self-check, a
// resident's report). Saved offline as `hazard.report`.
import { t } from "../i18n.js";
import { h, mount, link, toast } from "../ui.js";
import { getSite } from "../sites.js";
import { reportHazard, SOURCES } from "../field.js";
import { photoField } from "./photofield.js";

const SECTORS = ["gas", "fire", "construction", "fireworks", "forest", "rural"];

/** A row of big choice buttons; returns {element, value()}. */
export function choiceRow(name, label, options, initial) {
  let value = initial;
  // A third entry is the button's class ("fail": shown red when chosen).
  const buttons = options.map(([code, text, cls]) => h("button", { type: "button", class: cls,
    "aria-pressed": String(code === value), "data-choice": `${name}:${code}` }, text));
  buttons.forEach((button, i) => button.addEventListener("click", () => {
    value = options[i][0];
    for (const other of buttons) other.setAttribute("aria-pressed", String(other === button));
  }));
  return { element: h("div", { class: "yesno", role: "group", "aria-label": label }, buttons), value: () => value };
}

export async function render(root, siteId) {
  const site = await getSite(siteId);
  if (!site) {
    mount(root, h("p", { class: "error" }, t("site.notFound")), link(t("back"), "#/sites"));
    return;
  }
  let photos = [];
  const own = SECTORS.filter((s) => (site.sectors || []).includes(s));
  const sectorOrder = own.concat(SECTORS.filter((s) => !own.includes(s)));
  const sector = h("select", { name: "sector", "aria-label": t("report.sector") },
    sectorOrder.map((s) => h("option", { value: s }, t(`sector.${s}`))));
  const severity = choiceRow("severity", t("report.severity"), [["general", t("severity.general")], ["major", t("severity.major"), "fail"]], "general");
  const source = h("select", { name: "source", "aria-label": t("report.source") },
    SOURCES.map((s) => h("option", { value: s }, t(`source.${s}`))));
  const description = h("textarea", { name: "description", rows: 3, maxlength: 2000,
    placeholder: t("report.descHint"), "aria-label": t("report.description") });
  const hint = h("p", { class: "small muted", "data-test": "report-hint", "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "btn primary block", "data-test": "save-report" }, t("report.save"));
  const form = h("form", { onsubmit: async (event) => {
    event.preventDefault();
    const missing = [];
    if (!photos.length) missing.push(t("report.needPhoto"));
    if (!description.value.trim()) missing.push(t("report.needDesc"));
    mount(hint, missing.join("；"));
    if (missing.length) return;
    save.disabled = true;
    try {
      await reportHazard(site, { sector: sector.value, severity: severity.value(), source: source.value,
        description: description.value, photos });
    } catch (err) {
      save.disabled = false;
      toast(t("err.unknown", { msg: err.message }), "error");
      return;
    }
    toast(t("report.saved"));
    location.hash = `#/site/${site.id}`;
  } },
  h("div", { class: "field" }, h("strong", {}, t("report.photo")),
    photoField({ photos, testId: "report-photo", label: t("report.photo"), onChange: (list) => { photos = [...list]; } })),
  h("label", { class: "field" }, t("report.sector"), sector),
  h("div", { class: "field" }, h("strong", {}, t("report.severity")), severity.element),
  h("label", { class: "field" }, t("report.description"), description),
  h("label", { class: "field" }, t("report.source"), source),
  hint, save);
  mount(root, h("h1", {}, t("report.title")), h("p", { class: "meta" }, site.name, " · ", site.address || ""), form);
}
