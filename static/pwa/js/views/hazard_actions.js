// What a cadre does with an open hazard besides the re-check, each saved offline:
// the rectification plan (measures, deadline, who fixes it), the household's report that
// it is fixed (note and photos), and a comment. Route: #/hazard/<id>/<plan|fix|comment>.
import { t, tx } from "../i18n.js";
import { h, mount, link, toast, fmtDate, localDay } from "../ui.js";
import { getSite } from "../sites.js";
import { getHazard } from "../register.js";
import { checklistItem } from "../checklists.js";
import { commentHazard, deadlineProblem, planHazard, reportFixed, PHONE_RE } from "../field.js";
import { photoField } from "./photofield.js";
import { hazardTags } from "./site.js";

function field(label, control) {
  return h("label", { class: "field" }, label, control);
}

function planForm(hazard, site, done) {
  const today = localDay();
  const measures = h("textarea", { name: "measures", rows: 3, maxlength: 2000 }, hazard.measures || "");
  // The picker offers no day before today; typed or stale values are checked on save too.
  const deadline = h("input", { type: "date", name: "deadline", min: today,
    value: hazard.deadline && hazard.deadline >= today ? hazard.deadline.slice(0, 10) : "" });
  const name = h("input", { name: "responsible_name", maxlength: 100, value: hazard.responsible_name || "" });
  const phone = h("input", { name: "responsible_phone", type: "tel", inputmode: "tel", maxlength: 32,
    value: hazard.responsible_phone || "" });
  const hint = h("p", { class: "small error", role: "alert", hidden: true, "data-test": "plan-hint" });
  return h("form", { "data-test": "plan-form", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const problems = [];
    if (!measures.value.trim()) problems.push(t("plan.needMeasures"));
    const bad = deadlineProblem(deadline.value, today);
    if (bad) problems.push(bad === "past" ? t("plan.pastDeadline") : t("plan.needDeadline"));
    if (!name.value.trim()) problems.push(t("plan.needName"));
    if (phone.value.trim() && !PHONE_RE.test(phone.value.trim())) problems.push(t("plan.badPhone"));
    hint.hidden = !problems.length;
    mount(hint, problems.join("；"));
    if (problems.length) return;
    const changes = { measures: measures.value.trim(), deadline: deadline.value,
      responsible_name: name.value.trim() };
    if (phone.value.trim()) changes.responsible_phone = phone.value.trim();
    await done(() => planHazard(hazard, site, changes), t("plan.saved"));
  } },
  field(t("plan.measures"), measures), field(t("plan.deadline"), deadline),
  field(t("plan.responsible"), name), field(t("plan.phone"), phone), hint,
  h("button", { type: "submit", class: "btn primary block", "data-test": "save-plan" }, t("plan.save")));
}

function fixForm(hazard, site, done) {
  let photos = [];
  const note = h("textarea", { name: "note", rows: 3, maxlength: 2000 });
  const hint = h("p", { class: "small error", role: "alert", hidden: true });
  return h("form", { "data-test": "fix-form", onsubmit: async (event) => {
    event.preventDefault();
    const empty = !note.value.trim() && !photos.length;
    hint.hidden = !empty;
    mount(hint, empty ? t("fix.need") : "");
    if (empty) return;
    await done(() => reportFixed(hazard, site, { note: note.value, photos }), t("fix.saved"));
  } },
  h("p", { class: "small" }, t("fix.intro")),
  field(t("fix.note"), note),
  h("div", { class: "field" }, h("strong", {}, t("fix.photo")),
    photoField({ photos, testId: "fix-photo", label: t("fix.photo"), onChange: (list) => { photos = [...list]; } })),
  hint,
  h("button", { type: "submit", class: "btn primary block", "data-test": "save-fix" }, t("fix.save")));
}

function commentForm(hazard, site, done) {
  let photos = [];
  const text = h("textarea", { name: "text", rows: 3, maxlength: 2000 });
  const hint = h("p", { class: "small error", role: "alert", hidden: true });
  return h("form", { "data-test": "comment-form", onsubmit: async (event) => {
    event.preventDefault();
    hint.hidden = Boolean(text.value.trim());
    mount(hint, text.value.trim() ? "" : t("comment.need"));
    if (!text.value.trim()) return;
    await done(() => commentHazard(hazard, site, { text: text.value, photos }), t("comment.saved"));
  } },
  field(t("comment.text"), text),
  photoField({ photos, testId: "comment-photo", onChange: (list) => { photos = [...list]; } }),
  hint,
  h("button", { type: "submit", class: "btn primary block", "data-test": "save-comment" }, t("comment.save")));
}

const FORMS = { plan: [planForm, "plan.title"], fix: [fixForm, "fix.title"], comment: [commentForm, "comment.title"] };

export async function render(root, hazardId, action) {
  const hazard = await getHazard(hazardId);
  const [makeForm, title] = FORMS[action] || [];
  if (!hazard || !makeForm) {
    mount(root, h("p", { class: "error" }, t("verify.notFound")), link(t("back"), "#/"));
    return;
  }
  const site = await getSite(hazard.site_id);
  const back = `#/site/${hazard.site_id}`;
  if (hazard.local) {
    mount(root, h("h1", {}, t(title)), h("p", { class: "notice" }, t("hazard.notUploaded")), link(t("back"), back));
    return;
  }
  const item = hazard.item ? await checklistItem(hazard.item) : null;
  const done = async (queue, message) => {
    try {
      await queue();
    } catch (err) {
      toast(t("err.unknown", { msg: err.message }), "error");
      return;
    }
    toast(message);
    location.hash = back;
  };
  mount(root,
    h("h1", {}, t(title)),
    h("div", { class: "card" },
      h("div", { class: "title" }, site ? site.name : "", " ", hazardTags(hazard)),
      h("div", {}, hazard.description || tx(item?.hazard_text) || ""),
      h("div", { class: "meta" }, t("site.deadline", { d: fmtDate(hazard.deadline) }))),
    makeForm(hazard, site, done),
    link(t("back"), back, "btn block"));
}
