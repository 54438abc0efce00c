// Drafts: an inspection or a verification in progress, written to IndexedDB on every
// change, so a closed app or a flat battery loses nothing; and the tag scanned a moment
// ago, the proof of presence for the inspection started next.
import { v4 as uuidv4 } from "../vendor/uuid.js";
import { db } from "./db.js";
import { getSite } from "./sites.js";

let pendingScan = null;
/** A tag scanned a moment ago: proof of presence for the inspection started next. */
export function rememberScan(scan) { pendingScan = scan; }
export function takeScan(code) {
  const scan = pendingScan && pendingScan.code === code && Date.now() - Date.parse(pendingScan.at) < 30 * 60000
    ? { code: pendingScan.code, sig: pendingScan.sig } : null;
  return scan;
}

export async function newDraft(site, { scan = null, kind = "routine", supersedes = null, comment = null, base = null } = {}) {
  const now = new Date().toISOString();
  const draft = {
    id: uuidv4(), site_id: site.id, kind, state: "draft", step: base ? "items" : "choose",
    checklist: base?.checklist || null, checklist_title: base?.checklist_title || null,
    started_at: now, updated_at: now, location: null, scan, answers: base?.answers || {},
    signatures: {}, supersedes, returned_comment: comment,
  };
  await (await db()).put("drafts", draft);
  return draft;
}

export async function getDraft(id) {
  const draft = await (await db()).get("drafts", id);
  return draft && draft.state === "draft" ? draft : null;
}

export async function saveDraft(draft) {
  return (await db()).put("drafts", structuredClone(draft));
}

export async function deleteDraft(id) {
  return (await db()).delete("drafts", id);
}

export async function draftsForSite(siteId) {
  return (await (await db()).getAllFromIndex("drafts", "by_site", siteId)).filter((d) => d.state === "draft");
}

/** {code, version} of an inspection, as pulled (checklist_code/…) or as submitted. */
export function checklistRef(inspection) {
  if (inspection.checklist?.code) return inspection.checklist;
  if (inspection.checklist_code) return { code: inspection.checklist_code, version: inspection.checklist_version };
  return null;
}

/** A corrected copy of a returned inspection, answers prefilled when this phone has them. */
export async function correctionDraft(inspection) {
  const site = await getSite(inspection.site_id);
  const database = await db();
  const original = await database.get("drafts", inspection.id);
  const base = original ? { checklist: original.checklist, checklist_title: original.checklist_title,
    answers: structuredClone(original.answers) }
    : checklistRef(inspection) ? { checklist: checklistRef(inspection), checklist_title: null,
      answers: Object.fromEntries((inspection.answers || []).map((a) => [a.item, { value: a.value, note: a.note || "", photos: a.photos || [] }])) }
      : null;
  return newDraft(site || { id: inspection.site_id }, { kind: inspection.kind || "routine", supersedes: inspection.id,
    comment: inspection.review_comment || inspection.comment || null, base });
}

/**
 * A verification (复查) of one hazard: its own small draft (result, after-photos, note, the
 * inspector's signature), kept per hazard once changed, so a closed app resumes it. It is submitted as a
 * verification inspection that answers no checklist items (server extension, see
 * static/pwa/README.md).
 */
export async function verificationDraft(hazard, site) {
  const database = await db();
  const open = (await database.getAllFromIndex("drafts", "by_site", hazard.site_id))
    .find((d) => d.state === "draft" && d.kind === "verification" && d.hazard_id === hazard.id);
  if (open) return open;
  const now = new Date().toISOString();
  // Stored on its first change (saveDraft): only looking at a hazard leaves no draft behind.
  return {
    id: uuidv4(), site_id: hazard.site_id, kind: "verification", state: "draft", hazard_id: hazard.id,
    started_at: now, updated_at: now, location: null, scan: takeScan(site?.code),
    result: null, note: "", photos: [], signatures: {},
  };
}
