// An inspection, step by step: choose the checklist → answer the items → check the derived
// hazards → sign → submit to the outbox. Every change is written to the draft at once, so
// closing the app (or a flat battery) loses nothing.
import { t, tx } from "../i18n.js";
import { h, mount, ask, toast, fmtDateTime } from "../ui.js";
import { getSite } from "../sites.js";
import { checklistsFor, getChecklist } from "../checklists.js";
import { deleteDraft, getDraft, saveDraft } from "../drafts.js";
import { answersFor, submitInspection } from "../submit.js";
import { putBlob } from "../blobs.js";
import { fails, findings, verdict } from "../rules.js";
import { currentPosition } from "../geo.js";
import { signatureField } from "../signature.js";
import { hashBlob } from "../photos.js";
import { photoField, thumbs, photoUrl } from "./photofield.js";

function severityTag(severity) {
  if (severity === "major") return h("span", { class: "tag major" }, t("insp.major"));
  if (severity === "major_supplier") return h("span", { class: "tag major" }, t("insp.majorSupplier"));
  return null;
}

/** A unit code as the user reads it (米, 具 …). */
function unitText(unit) {
  return unit ? t(`unit.${unit}`) : "";
}

/** 是 / 否 with the item's own verdict: 合格 or 不合格, whichever way the question is put. */
function yesNoLabel(item, value) {
  const word = value ? t("insp.yes") : t("insp.no");
  const v = verdict(item, value);
  return v === null ? word : `${word} · ${v === "fail" ? t("insp.fail") : t("insp.pass")}`;
}

function standardLine(item) {
  if (!item.standard) return null;
  return h("div", { class: "std" }, t("insp.std", { name: item.standard.name || "", clause: item.standard.clause || "" }));
}

export function problems(definition, answers) {
  let missing = 0;
  let missingPhotos = 0;
  for (const item of definition.items) {
    const a = answers[item.code];
    const answered = a && a.value !== null && a.value !== undefined && a.value !== "";
    if (!answered && item.required !== false) missing++;
    if (answered && item.photo_on_fail && fails(item, a.value) && !(a.photos || []).length) missingPhotos++;
  }
  return { missing, missingPhotos };
}

export async function render(root, draftId) {
  let draft = await getDraft(draftId);
  if (!draft) { location.hash = "#/"; return; }
  const site = await getSite(draft.site_id);
  let saveTimer = null;
  const save = (immediate = false) => {
    draft.updated_at = new Date().toISOString();
    clearTimeout(saveTimer);
    if (immediate) return saveDraft(draft);
    saveTimer = setTimeout(() => saveDraft(draft), 250);
    return null;
  };
  const flush = () => { clearTimeout(saveTimer); saveDraft(draft); };
  // Location is recorded in the background; GPS may take a while in a village.
  if (!draft.location) {
    currentPosition().then((pos) => {
      if (!draft.location) { draft.location = { lat: pos.lat, lon: pos.lon, accuracy_m: pos.accuracy_m }; save(); }
    }).catch(() => {});
  }
  const header = () => h("div", {},
    h("h1", {}, `${t("insp.title")} · ${site ? site.name : ""}`),
    draft.supersedes ? h("div", { class: "notice" }, t("insp.returnedFrom"),
      draft.returned_comment ? h("div", {}, t("insp.reviewerSays", { c: draft.returned_comment })) : null) : null,
    (draft.verifications || []).map((v) => h("div", { class: "notice", "data-test": "verifying" },
      `${t("verify.title")}: ${draft.verifying?.item || ""} → `,
      h("strong", {}, v.result === "rectified" ? t("verify.rectified") : t("verify.notRectified")),
      thumbs(v.photos))));

  let definition = null;
  const showStep = async () => {
    if (!draft.checklist) return chooseStep();
    definition = definition || await getChecklist(draft.checklist.code, draft.checklist.version);
    if (!definition) { draft.checklist = null; return chooseStep(); }
    if (draft.step === "review") return reviewStep();
    if (draft.step === "sign") return signStep();
    return itemsStep();
  };

  async function chooseStep() {
    const { suggested, others } = await checklistsFor(site);
    const choose = (c) => async () => {
      draft.checklist = { code: c.code, version: c.version };
      draft.checklist_title = c.title;
      draft.step = "items";
      await save(true);
      showStep();
    };
    const item = (c, primary) => h("li", {}, h("button", { type: "button", class: `btn block ${primary ? "primary" : ""}`,
      "data-test": `checklist-${c.code}`, onclick: choose(c) }, tx(c.title)));
    mount(root, header(), h("h2", {}, t("insp.choose")),
      !suggested.length && !others.length ? h("p", { class: "error" }, t("insp.noChecklists")) : null,
      suggested.length ? h("h3", {}, t("insp.suggested")) : null,
      h("ul", { class: "list" }, suggested.map((c) => item(c, true))),
      others.length ? h("h3", {}, t("insp.others")) : null,
      h("ul", { class: "list" }, others.map((c) => item(c, false))),
      discardButton());
  }

  function discardButton() {
    return h("button", { type: "button", class: "btn block", onclick: async () => {
      if (!ask(t("insp.discardAsk"))) return;
      await deleteDraft(draft.id);
      location.hash = `#/site/${draft.site_id}`;
    } }, t("insp.discard"));
  }

  function itemsStep() {
    const progress = h("div", { class: "small", "aria-live": "polite" });
    const updateProgress = () => {
      const answered = definition.items.filter((i) => {
        const a = draft.answers[i.code];
        return a && a.value !== null && a.value !== undefined && a.value !== "";
      }).length;
      mount(progress, t("insp.progress", { a: answered, n: definition.items.length }));
    };
    const cards = definition.items.map((item) => itemCard(item, updateProgress));
    updateProgress();
    mount(root, header(), h("p", { class: "muted small" }, tx(draft.checklist_title || definition.title)),
      progress, cards,
      h("div", { class: "stickyfoot" }, h("button", { type: "button", class: "btn primary block", "data-test": "to-review",
        onclick: async () => { draft.step = "review"; await save(true); showStep(); } }, t("insp.review"))),
      discardButton());
  }

  function itemCard(item, onAnswer) {
    const card = h("div", { class: "item", "data-item": item.code });
    const answer = () => (draft.answers[item.code] ??= { value: null, note: "", photos: [] });
    const set = (value) => {
      answer().value = value;
      save();
      redraw();
      onAnswer();
    };
    const redraw = () => {
      const a = draft.answers[item.code] || { value: null, note: "", photos: [] };
      const failed = fails(item, a.value);
      card.className = `item${item.severity !== "general" ? " is-major" : ""}${failed ? " failed" : ""}`;
      let control;
      if (item.kind === "yes_no") {
        const yn = (value, label) => h("button", { type: "button", "aria-pressed": String(a.value === value),
          class: fails(item, value) ? "fail" : "", "data-answer": String(value), onclick: () => set(a.value === value ? null : value) }, label);
        control = h("div", { class: "yesno" }, yn(true, yesNoLabel(item, true)), yn(false, yesNoLabel(item, false)));
      } else if (item.kind === "number") {
        // Kept on every keystroke (the app may be closed with the field still focused);
        // redrawn on change, when the failure state can show without stealing focus.
        const parse = () => { const v = input.value === "" ? null : Number(input.value); return Number.isFinite(v) ? v : null; };
        const input = h("input", { type: "number", inputmode: "decimal", step: "any", value: a.value ?? "",
          "aria-label": tx(item.text),
          oninput: () => { answer().value = parse(); save(); onAnswer(); },
          onchange: () => set(parse()) });
        control = h("div", { class: "inline" }, input, h("span", { class: "unit" }, unitText(item.unit)));
      } else if (item.kind === "choice") {
        control = h("div", { class: "choices" }, (item.choices || []).map((c) => h("button", {
          type: "button", "aria-pressed": String(a.value === c.key), onclick: () => set(a.value === c.key ? null : c.key),
        }, tx(c.text))));
      } else {
        const input = h("textarea", { rows: 2, "aria-label": tx(item.text),
          oninput: () => { answer().value = input.value.trim() || null; save(); onAnswer(); },
          onchange: () => set(input.value.trim() || null) }, a.value ?? "");
        control = input;
      }
      const note = h("input", { placeholder: t("insp.note"), value: a.note || "", "aria-label": t("insp.note"),
        oninput: () => { answer().note = note.value; save(); } });
      const needPhoto = failed && item.photo_on_fail && !(a.photos || []).length;
      mount(card,
        h("div", { class: "q" }, tx(item.text)),
        h("div", {}, severityTag(item.severity),
          item.test_on_site ? h("span", { class: "tag warn" }, t("insp.testOnSite")) : null,
          item.composite ? h("span", { class: "tag" }, t("insp.composite")) : null,
          item.required === false ? h("span", { class: "tag" }, t("insp.optional")) : null),
        tx(item.hint) ? h("div", { class: "hint" }, tx(item.hint)) : null,
        standardLine(item),
        control,
        needPhoto ? h("div", { class: "needphoto", role: "alert" }, t("insp.needPhoto")) : null,
        failed || (a.photos || []).length ? photoField({ photos: a.photos || [], testId: `photo-${item.code}`,
          onChange: (list) => { answer().photos = list; save(true); const was = needPhoto; if (was !== (failed && item.photo_on_fail && !list.length)) redraw(); } }) : null,
        note);
    };
    redraw();
    return card;
  }

  /** One derived hazard as the register will hold it: its description, never a code. */
  function derivedCard(f) {
    return h("li", { class: `item ${f.severity !== "general" ? "is-major" : ""}`, "data-hazard": f.hazard_id },
      h("div", { class: "q" }, f.description),
      h("div", {}, severityTag(f.severity === "major_supplier" ? "general" : f.severity)
        || h("span", { class: "tag" }, t("insp.general")),
      f.supplier_clue ? h("span", { class: "tag major", "data-test": "supplier-clue" }, t("insp.supplierClue")) : null,
      ` ${t("insp.deadline", { n: f.deadline_days ?? "—" })}`),
      standardLine(f),
      f.note ? h("div", {}, f.note) : null,
      thumbs(f.photos));
  }

  /** The combined judgement (综合判定), shown before anything else: it is the major one. */
  function combinedCard(f, byCode) {
    return h("section", { class: "item is-major combined", "data-test": "combined", "data-hazard": f.hazard_id },
      h("h3", {}, `${t("insp.combined")} · `, h("span", { class: "tag major" }, t("insp.major"))),
      h("div", { class: "q" }, tx(byCode.get(f.item)?.hazard_text) || f.description),
      h("div", { class: "small" }, t("insp.combinedElements", { n: f.elements.length })),
      h("ul", { class: "elements" }, f.elements.map((code) => h("li", {}, tx(byCode.get(code)?.hazard_text || byCode.get(code)?.text)))),
      standardLine(f),
      h("div", { class: "small" }, t("insp.deadline", { n: f.deadline_days ?? "—" })));
  }

  function reviewStep() {
    const answers = answersFor(definition, draft.answers);
    const found = findings(definition, answers, draft.id, site?.kind ?? null);
    const { missing, missingPhotos } = problems(definition, draft.answers);
    const byCode = new Map(definition.items.map((i) => [i.code, i]));
    for (const rule of definition.combined_rules || []) byCode.set(rule.id, rule);
    const combined = found.filter((f) => f.elements.length);
    const single = found.filter((f) => !f.elements.length);
    mount(root, header(),
      combined.map((f) => combinedCard(f, byCode)),
      h("h2", { "data-test": "derived-title" }, found.length ? t("insp.derived", { n: found.length }) : t("insp.noDerived")),
      h("ul", { class: "list", "data-test": "derived" }, single.map((f) => derivedCard(f))),
      missing ? h("p", { class: "error" }, t("insp.missing", { n: missing })) : null,
      missingPhotos ? h("p", { class: "error" }, t("insp.missingPhotos", { n: missingPhotos })) : null,
      h("button", { type: "button", class: "btn primary block", "data-test": "to-sign", disabled: Boolean(missing || missingPhotos),
        onclick: async () => { draft.step = "sign"; await save(true); showStep(); } }, t("insp.sign")),
      h("button", { type: "button", class: "btn block", onclick: async () => { draft.step = "items"; await save(true); showStep(); } }, t("insp.back")));
  }

  function signatureBlock(role, title) {
    const wrap = h("section", { "data-test": `sign-${role}` });
    const draw = async () => {
      const saved = draft.signatures[role];
      if (saved) {
        mount(wrap, h("h3", {}, title), h("img", { class: "sigdone", alt: title, src: await photoUrl(saved) }),
          h("button", { type: "button", class: "btn", onclick: () => { delete draft.signatures[role]; save(true); draw(); refreshSubmit(); } }, t("insp.clear")));
        return;
      }
      const field = signatureField();
      const confirm = h("button", { type: "button", class: "btn ok", "data-test": `confirm-${role}`, onclick: async () => {
        if (field.isEmpty()) return;
        const stored = await hashBlob(await field.toBlob());
        await putBlob(stored);
        draft.signatures[role] = stored.sha256;
        await save(true);
        field.destroy();
        draw();
        refreshSubmit();
      } }, t("save"));
      mount(wrap, h("h3", {}, title), field.element,
        h("div", { class: "row" }, h("button", { type: "button", class: "btn", onclick: () => field.clear() }, t("insp.clear")), confirm));
    };
    draw();
    return wrap;
  }

  let refreshSubmit = () => {};

  function signStep() {
    draft.signatures ??= {};
    const refusing = Boolean(draft.signatures.refusal);
    const refusal = () => {
      const r = draft.signatures.refusal ??= { reason: "", witness_name: "", photo: null };
      const reason = h("textarea", { rows: 2, oninput: () => { r.reason = reason.value; save(); refreshSubmit(); } }, r.reason);
      const witness = h("input", { value: r.witness_name, oninput: () => { r.witness_name = witness.value; save(); refreshSubmit(); } });
      return h("section", { class: "notice" },
        h("label", { class: "field" }, t("insp.refusal.reason"), reason),
        h("label", { class: "field" }, t("insp.refusal.witness"), witness),
        h("div", { class: "field" }, t("insp.refusal.photo"),
          photoField({ photos: r.photo ? [r.photo] : [], testId: "refusal-photo",
            onChange: (list) => { r.photo = list[list.length - 1] || null; save(true); refreshSubmit(); } })),
        h("button", { type: "button", class: "btn", onclick: () => { delete draft.signatures.refusal; save(true); signStep(); } }, t("cancel")));
    };
    const gps = h("p", { class: "small" }, `${t("insp.gps")}: `,
      draft.location ? t("gps.got", { a: draft.location.accuracy_m }) : t("gps.none"));
    const submit = h("button", { type: "button", class: "btn primary block", "data-test": "submit", onclick: async () => {
      submit.disabled = true;
      draft.finished_at = new Date().toISOString();
      flush();
      await submitInspection(draft, definition);
      toast(t("insp.submitted"));
      location.hash = draft.notice_no ? `#/notice/${draft.id}` : `#/site/${draft.site_id}`;
    } }, t("insp.submit"));
    const hint = h("p", { class: "small muted" });
    // 暗查暗访: the site is not told, so it neither signs nor is handed a notice.
    const unannounced = draft.kind === "unannounced";
    const mode = ["routine", "unannounced"].includes(draft.kind)
      ? h("label", { class: "field", "data-test": "unannounced",
        style: "display:flex;gap:10px;align-items:center" },
        h("input", { type: "checkbox", checked: unannounced, style: "width:28px;min-height:28px", onchange: async (e) => {
          draft.kind = e.target.checked ? "unannounced" : "routine";
          if (e.target.checked) { delete draft.signatures.site; delete draft.signatures.refusal; }
          await save(true); signStep();
        } }), ` ${t("insp.unannounced")}`)
      : null;
    refreshSubmit = () => {
      const s = draft.signatures;
      const r = s.refusal;
      const siteOk = unannounced || Boolean(s.site)
        || Boolean(r && r.reason.trim() && r.witness_name.trim() && r.photo);
      const ok = Boolean(s.inspector) && siteOk;
      submit.disabled = !ok;
      mount(hint, ok ? "" : t("insp.needSigs"));
    };
    mount(root, header(), mode,
      unannounced ? null : refusing ? refusal() : signatureBlock("site", t("insp.signSite")),
      refusing || unannounced ? null : h("button", { type: "button", class: "btn block", onclick: () => { delete draft.signatures.site; draft.signatures.refusal = { reason: "", witness_name: "", photo: null }; save(true); signStep(); } }, t("insp.refuse")),
      signatureBlock("inspector", t("insp.signInspector")),
      gps, hint, submit,
      h("button", { type: "button", class: "btn block", onclick: async () => { draft.step = "review"; await save(true); showStep(); } }, t("back")),
      h("p", { class: "small muted" }, `${t("insp.draftSaved")} · ${fmtDateTime(draft.updated_at)}`));
    refreshSubmit();
  }

  // The phone may kill a backgrounded app without warning: write the draft when hidden.
  const onHide = () => { if (document.visibilityState === "hidden") flush(); };
  document.addEventListener("visibilitychange", onHide);
  window.addEventListener("pagehide", flush);
  await showStep();
  return () => {
    document.removeEventListener("visibilitychange", onHide);
    window.removeEventListener("pagehide", flush);
    if (saveTimer) flush();
  };
}

