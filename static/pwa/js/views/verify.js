// Verification of an open hazard (复查): after-photos beside the before-photos, rectified /
// not rectified, a note and the inspector's signature. Only this re-check is recorded (the
// checklist is not walked again); it goes to the outbox as a verification inspection.
import { t, tx } from "../i18n.js";
import { h, mount, link, toast, ask, fmtDate, fmtDateTime } from "../ui.js";
import { getSite } from "../sites.js";
import { getHazard } from "../register.js";
import { checklistItem } from "../checklists.js";
import { deleteDraft, saveDraft, verificationDraft } from "../drafts.js";
import { submitVerification } from "../submit.js";
import { beforePhotos, putBlob } from "../blobs.js";
import { currentPosition } from "../geo.js";
import { signatureField } from "../signature.js";
import { hashBlob } from "../photos.js";
import { photoField, thumbs, photoUrl } from "./photofield.js";
import { hazardTags } from "./site.js";

export async function render(root, hazardId) {
  const hazard = await getHazard(hazardId);
  if (!hazard) {
    mount(root, h("p", { class: "error" }, t("verify.notFound")), link(t("back"), "#/"));
    return;
  }
  const site = await getSite(hazard.site_id);
  const item = await checklistItem(hazard.item);
  const draft = await verificationDraft(hazard, site);
  // Every change is written at once: a killed app resumes the re-check where it was.
  const save = () => { draft.updated_at = new Date().toISOString(); return saveDraft(draft); };
  const begun = () => Boolean(draft.result || draft.photos.length || draft.note || draft.signatures.inspector);
  if (!draft.location) {
    currentPosition().then((pos) => {
      if (draft.location) return;
      draft.location = { lat: pos.lat, lon: pos.lon, accuracy_m: pos.accuracy_m };
      if (begun()) save(); // else it is kept with the first real change
    }).catch(() => {});
  }

  const hint = h("p", { class: "small muted", "data-test": "verify-hint" });
  const submit = h("button", { type: "button", class: "btn primary block", "data-test": "save-verification",
    onclick: async () => {
      submit.disabled = true;
      try {
        await save();
        await submitVerification(draft);
      } catch (err) {
        submit.disabled = false;
        toast(t("err.unknown", { msg: err.message }), "error");
        return;
      }
      toast(t("verify.saved"));
      location.hash = draft.notice_no ? `#/notice/${draft.id}` : `#/site/${hazard.site_id}`;
    } }, t("verify.save"));
  const refresh = () => {
    const missing = [];
    if (!draft.result) missing.push(t("verify.needResult"));
    if (draft.result === "rectified" && !draft.photos.length) missing.push(t("verify.needPhoto"));
    if (!draft.signatures.inspector) missing.push(t("verify.needSig"));
    submit.disabled = missing.length > 0;
    mount(hint, missing.join(" · "));
  };

  const choice = (value, label, cls) => h("button", { type: "button", class: cls,
    "aria-pressed": String(draft.result === value), "data-result": value, onclick: (event) => {
      draft.result = value;
      for (const b of event.currentTarget.parentElement.children) b.setAttribute("aria-pressed", String(b === event.currentTarget));
      save();
      refresh();
    } }, label);
  const note = h("textarea", { rows: 2, "aria-label": t("verify.note"),
    oninput: () => { draft.note = note.value; save(); } }, draft.note || "");

  const signature = h("section", { "data-test": "sign-inspector" });
  const drawSignature = async () => {
    const title = t("insp.signInspector");
    if (draft.signatures.inspector) {
      mount(signature, h("h3", {}, title),
        h("img", { class: "sigdone", alt: title, src: await photoUrl(draft.signatures.inspector) }),
        h("button", { type: "button", class: "btn", onclick: async () => {
          delete draft.signatures.inspector; await save(); drawSignature(); refresh();
        } }, t("insp.clear")));
      return;
    }
    const field = signatureField();
    const confirm = h("button", { type: "button", class: "btn ok", "data-test": "confirm-inspector", onclick: async () => {
      if (field.isEmpty()) return;
      const stored = await hashBlob(await field.toBlob());
      await putBlob(stored);
      draft.signatures.inspector = stored.sha256;
      await save();
      field.destroy();
      drawSignature();
      refresh();
    } }, t("save"));
    mount(signature, h("h3", {}, title), field.element,
      h("div", { class: "row" }, h("button", { type: "button", class: "btn", onclick: () => field.clear() }, t("insp.clear")), confirm));
  };

  const before = beforePhotos(hazard);
  mount(root,
    h("h1", {}, t("verify.title")),
    h("div", { class: "card" },
      h("div", { class: "title" }, site ? site.name : "", " ", hazardTags(hazard)),
      h("div", {}, hazard.description || tx(item?.hazard_text) || ""),
      h("div", { class: "meta" }, t("site.deadline", { d: fmtDate(hazard.deadline) }))),
    h("p", { class: "small muted" }, t("verify.onlyThis")),
    h("div", { class: "compare" },
      h("div", {}, h("h3", {}, t("verify.before")),
        before.length ? thumbs(before) : h("p", { class: "small muted" }, t("verify.noBefore"))),
      h("div", {}, h("h3", {}, t("verify.after")),
        photoField({ photos: draft.photos, testId: "after-photo", label: t("verify.after"),
          onChange: (list) => { draft.photos = [...list]; save(); refresh(); } }))),
    h("div", { class: "yesno" },
      choice("rectified", t("verify.rectified"), ""), choice("not_rectified", t("verify.notRectified"), "fail")),
    h("label", { class: "field" }, t("verify.note"), note),
    signature,
    h("p", { class: "small" }, `${t("insp.gps")}: `,
      draft.location ? t("gps.got", { a: draft.location.accuracy_m }) : t("gps.none")),
    hint, submit,
    h("button", { type: "button", class: "btn block", onclick: async () => {
      if (!ask(t("insp.discardAsk"))) return;
      await deleteDraft(draft.id);
      location.hash = `#/site/${hazard.site_id}`;
    } }, t("insp.discard")),
    h("p", { class: "small muted" }, `${t("insp.draftSaved")} · ${fmtDateTime(draft.updated_at)}`));
  drawSignature();
  refresh();
}
