// The field changes other than an inspection: a hazard reported outside a checklist
// (随手拍), its rectification plan, the household's report that it is fixed, a comment,
// and a change to a site. Each goes into the outbox as its sync mutation; the phone shows
// it at once, marked "waiting", until the server's copy comes with the next pull.
import { v4 as uuidv4 } from "../vendor/uuid.js";
import { db } from "./db.js";
import * as outbox from "./outbox.js";
import * as sync from "./sync.js";
import { localDay } from "./ui.js";
import { markPending } from "./pending.js";

export const SOURCES = ["inspection", "self_check", "public_report"];
export const PHONE_RE = /^[0-9+\-() ]{3,32}$/;

async function queued(name, args, label) {
  const entry = await outbox.enqueue(name, args, { label });
  await sync.refreshCounts();
  sync.syncNow().catch(() => {});
  return entry;
}

/** `hazard.report`: a hazard found outside a checklist. Returns the provisional hazard. */
export async function reportHazard(site, { sector, severity, source, description, photos }) {
  const args = { id: uuidv4(), site_id: site.id, sector, description: description.trim(),
    severity, source, photos: [...photos] };
  const entry = await queued("hazard.report", args, site.name);
  const hazard = { id: args.id, site_id: site.id, sector, severity, source,
    description: args.description, status: "open", overdue: false, deadline: null,
    photos: args.photos, found_at: new Date().toISOString(), local: entry.id };
  await (await db()).put("hazards", hazard);
  return hazard;
}

/** The deadline is a calendar day, today or later (the server refuses one in the past). */
export function deadlineProblem(value, today = localDay()) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value || "")) return "missing";
  return value < today ? "past" : null;
}

/** `hazard.update`: measures, deadline, responsible person (field-level merge on the server). */
export async function planHazard(hazard, site, changes) {
  const args = { id: hazard.id, base_version: hazard.version, changes };
  const entry = await queued("hazard.update", args, site?.name || "");
  await markPending("hazards", hazard.id, "plan", entry.id, changes);
  return entry;
}

/** `hazard.rectification_reported`: the household says it is fixed (note and photos). */
export async function reportFixed(hazard, site, { note, photos }) {
  const args = { id: hazard.id, note: note.trim(), photos: [...photos] };
  const entry = await queued("hazard.rectification_reported", args, site?.name || "");
  await markPending("hazards", hazard.id, "fix", entry.id, {
    fix_note: args.note, fix_photos: args.photos });
  return entry;
}

/** `hazard.comment`: a note (and photos) on the hazard's record. */
export async function commentHazard(hazard, site, { text, photos }) {
  const args = { id: hazard.id, text: text.trim() };
  if (photos.length) args.photos = [...photos];
  const entry = await queued("hazard.comment", args, site?.name || "");
  await markPending("hazards", hazard.id, "comment", entry.id);
  return entry;
}

export const SITE_FIELDS = ["name", "address", "contact_name", "contact_phone"];

/** `site.update` with only the fields that changed; null when nothing did. */
export async function updateSite(site, values) {
  const changes = {};
  for (const key of SITE_FIELDS) {
    const before = site[key] ?? "";
    const after = (values[key] ?? "").trim();
    if (after !== before) changes[key] = after === "" && key !== "address" ? null : after;
  }
  const same = (a, b) => [...a].sort().join() === [...b].sort().join();
  if (values.sectors && !same(values.sectors, site.sectors || [])) changes.sectors = values.sectors;
  if (!Object.keys(changes).length) return null;
  const args = { id: site.id, base_version: site.version, changes };
  const entry = await queued("site.update", args, site.name);
  await markPending("sites", site.id, "edit", entry.id, changes);
  return entry;
}

/** What of a record still waits for the server (the kinds of its pending changes). */
export function pendingKinds(record) {
  return [...new Set((record?.pending || []).map((p) => p.kind))];
}
