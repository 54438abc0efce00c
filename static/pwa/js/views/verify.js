// Verification of an open hazard (复查): after-photos beside the before-photos, then
// rectified / not rectified. Saved offline as a verification inspection.
import { t, tx } from "../i18n.js";
import { h, mount, link, toast, fmtDate } from "../ui.js";
import * as local from "../local.js";
import { photoField, thumbs } from "./photofield.js";
import { hazardTags } from "./site.js";

export async function render(root, hazardId) {
  const hazard = await local.getHazard(hazardId);
  if (!hazard) {
    mount(root, h("p", { class: "error" }, t("verify.notFound")), link(t("back"), "#/"));
    return;
  }
  const site = await local.getSite(hazard.site_id);
  const item = await local.checklistItem(hazard.item);
  const state = { result: null, note: "", photos: [] };
  const before = local.beforePhotos(hazard);
  const save = h("button", { type: "button", class: "btn primary block", "data-test": "save-verification",
    disabled: true, onclick: async () => {
      save.disabled = true;
      // A verification is an inspection visit: the checklist is walked and signed too,
      // with this result attached (the server closes the hazard only through that).
      const draft = await local.verificationDraft(hazard, site, state);
      toast(t("verify.saved"));
      location.hash = `#/inspect/${draft.id}`;
    } }, t("verify.save"));
  const refresh = () => { save.disabled = !(state.result && state.photos.length); };
  const choice = (value, label, cls) => h("button", { type: "button", class: cls, "aria-pressed": "false",
    "data-result": value, onclick: (event) => {
      state.result = value;
      for (const b of event.currentTarget.parentElement.children) b.setAttribute("aria-pressed", String(b === event.currentTarget));
      refresh();
    } }, label);
  const note = h("textarea", { rows: 2, oninput: () => { state.note = note.value; } });
  mount(root,
    h("h1", {}, t("verify.title")),
    h("div", { class: "card" },
      h("div", { class: "title" }, site ? site.name : "", " ", hazardTags(hazard)),
      h("div", {}, item ? tx(item.text) : hazard.description || hazard.item || ""),
      h("div", { class: "meta" }, `${hazard.item || ""} · ${t("site.deadline", { d: fmtDate(hazard.deadline) })}`)),
    h("div", { class: "compare" },
      h("div", {}, h("h3", {}, t("verify.before")),
        before.length ? thumbs(before) : h("p", { class: "small muted" }, t("verify.noBefore"))),
      h("div", {}, h("h3", {}, t("verify.after")),
        photoField({ photos: [], testId: "after-photo", label: t("verify.after"),
          onChange: (list) => { state.photos = list; refresh(); } }))),
    h("div", { class: "yesno" },
      choice("rectified", t("verify.rectified"), ""), choice("not_rectified", t("verify.notRectified"), "fail")),
    h("label", { class: "field" }, t("verify.note"), note),
    h("p", { class: "small muted" }, t("verify.needPhoto")),
    save);
}
