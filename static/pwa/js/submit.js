// Submitting: a finished draft becomes one `inspection.submit` in the outbox, and the
// phone shows what it implies (derived hazards, pending verifications) until the server's
// answer arrives with the next pull.
import { db } from "./db.js";
import * as outbox from "./outbox.js";
import * as sync from "./sync.js";
import { findings } from "./rules.js";
import { localDay } from "./ui.js";
import { getSite } from "./sites.js";
import { getHazard } from "./register.js";
import { checklistItem, checklistsFor } from "./checklists.js";
import { currentSession } from "./session.js";
import { hazardsOfSite } from "./register.js";
import { nextNoticeNo, noticeFor, saveNotice } from "./notices.js";

/** Answers as the contract lists them: only answered items, in checklist order. */
export function answersFor(definition, answers) {
  const out = [];
  for (const item of definition.items) {
    const a = answers[item.code];
    if (!a || a.value === null || a.value === undefined || a.value === "") continue;
    const entry = { item: item.code, value: a.value, photos: [...(a.photos || [])] };
    if (a.note && a.note.trim()) entry.note = a.note.trim();
    out.push(entry);
  }
  return out;
}

function signaturesFor(draft) {
  const s = draft.signatures || {};
  const out = { inspector: s.inspector };
  if (s.site) out.site = s.site;
  else if (s.refusal) out.refusal = { reason: s.refusal.reason.trim(), witness_name: s.refusal.witness_name.trim(), photo: s.refusal.photo };
  return out;
}

/** Queue `inspection.submit`; show the derived hazards on the phone until the server's arrive. */
export async function submitInspection(draft, definition) {
  const args = {
    id: draft.id, site_id: draft.site_id, checklist: draft.checklist, kind: draft.kind,
    started_at: draft.started_at, finished_at: draft.finished_at || new Date().toISOString(),
    answers: answersFor(definition, draft.answers), signatures: signaturesFor(draft),
  };
  if (draft.location) args.location = draft.location;
  if (draft.scan) args.scan = draft.scan;
  if (draft.supersedes) args.supersedes = draft.supersedes;
  if (draft.verifications?.length) args.verifications = draft.verifications;
  const site = await getSite(draft.site_id);
  const found = findings(definition, args.answers, draft.id, site?.kind ?? null);
  const notice = await makeNotice(draft, args, site, found);
  const entry = await outbox.enqueue("inspection.submit", args, { label: site?.name || "" });
  const database = await db();
  const tx = database.transaction(["drafts", "hazards", "inspections"], "readwrite");
  await tx.objectStore("drafts").put({ ...structuredClone(draft), state: "submitted", finished_at: args.finished_at, mutation_id: entry.id });
  for (const v of args.verifications || []) {
    const stored = await tx.objectStore("hazards").get(v.hazard_id);
    // Shown at once; the server's state replaces it on the next pull.
    if (stored) await tx.objectStore("hazards").put({ ...stored, verification_pending: v.result });
  }
  if (draft.supersedes) {
    const old = await tx.objectStore("inspections").get(draft.supersedes);
    if (old) await tx.objectStore("inspections").put({ ...old, superseded_by: draft.id });
  }
  const hazards = tx.objectStore("hazards");
  for (const f of found) {
    if (await hazards.get(f.hazard_id)) continue;
    await hazards.put({
      id: f.hazard_id, site_id: draft.site_id, sector: f.sector, item: f.item, elements: f.elements,
      description: f.description, severity: f.severity === "major" ? "major" : "general",
      supplier_major: f.supplier_clue,
      status: "open", overdue: false, deadline: localDay(new Date(Date.now() + (f.deadline_days || 7) * 86400000)),
      photos: f.photos, local: entry.id,
    });
  }
  await tx.done;
  if (notice) await saveNotice(notice);
  await sync.refreshCounts();
  sync.syncNow().catch(() => {});
  return entry;
}

/**
 * The notice a visit ends with when it found or verified hazards (its number goes into
 * `args.notice`), or null (nothing found; an unannounced visit leaves none; a device
 * without a prefix numbers none).
 */
async function makeNotice(draft, args, site, found, verified = []) {
  if ((!found.length && !verified.length) || args.kind === "unannounced") return null;
  const session = await currentSession();
  const no = await nextNoticeNo(session?.notice_prefix);
  if (!no) return null;
  args.notice = { no };
  draft.notice_no = no;
  const openBySiteItem = new Map();
  for (const z of await hazardsOfSite(draft.site_id)) {
    if (z.item && z.status !== "closed" && !found.some((f) => f.hazard_id === z.id)) openBySiteItem.set(z.item, z);
  }
  return noticeFor({ no, kind: args.kind, inspectionId: args.id, site, inspector: session?.user?.name,
    findings: found, verifications: verified, openBySiteItem, signatures: args.signatures });
}

/**
 * The checklist a verification is filed under: the one holding the hazard's item, else
 * one for the site and the hazard's sector (a reported hazard names no item).
 */
async function checklistForHazard(hazard, site) {
  const item = await checklistItem(hazard.item);
  if (item) return item.checklist;
  const { suggested, others } = await checklistsFor(site);
  const all = suggested.concat(others);
  const pick = all.find((c) => c.sector === hazard.sector) || all[0];
  return pick ? { code: pick.code, version: pick.version } : null;
}

/** Queue the verification as `inspection.submit` (kind verification, no answers). */
export async function submitVerification(draft) {
  const hazard = await getHazard(draft.hazard_id);
  const site = await getSite(draft.site_id);
  const checklist = hazard && await checklistForHazard(hazard, site);
  if (!checklist) throw new Error("no checklist on this phone");
  const verification = { hazard_id: draft.hazard_id, result: draft.result, photos: [...draft.photos] };
  if (draft.note && draft.note.trim()) verification.note = draft.note.trim();
  const args = {
    id: draft.id, site_id: draft.site_id, checklist, kind: "verification",
    started_at: draft.started_at, finished_at: new Date().toISOString(),
    answers: [], verifications: [verification], signatures: { inspector: draft.signatures.inspector },
  };
  if (draft.location) args.location = draft.location;
  if (draft.scan) args.scan = draft.scan;
  const notice = await makeNotice(draft, args, site, [], [{ description: hazard.description,
    result: draft.result, note: verification.note || "" }]);
  const entry = await outbox.enqueue("inspection.submit", args, { label: site?.name || "" });
  const database = await db();
  const tx = database.transaction(["drafts", "hazards"], "readwrite");
  await tx.objectStore("drafts").put({ ...structuredClone(draft), checklist, state: "submitted",
    finished_at: args.finished_at, mutation_id: entry.id });
  const stored = await tx.objectStore("hazards").get(draft.hazard_id);
  // Shown at once; the server's state replaces it on the next pull.
  if (stored) await tx.objectStore("hazards").put({ ...stored, verification_pending: draft.result });
  await tx.done;
  if (notice) await saveNotice(notice);
  await sync.refreshCounts();
  sync.syncNow().catch(() => {});
  return entry;
}
