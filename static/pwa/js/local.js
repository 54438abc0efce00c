// What the screens ask of the phone's data: sites, hazards, drafts, checklists, the
// session. Views call these; only db.js opens IndexedDB, only outbox.js numbers mutations.
import { v4 as uuidv4 } from "../vendor/uuid.js";
import { db, getMeta, setMeta } from "./db.js";
import { request, ApiError } from "./api.js";
import { cacheHazardPhotos } from "./upload.js";
import * as outbox from "./outbox.js";
import * as sync from "./sync.js";
import { findings } from "./rules.js";
import { distanceM } from "./geo.js";
import { localDay } from "./ui.js";

// ---- session -------------------------------------------------------------------------

let sessionCache;

export async function session() {
  if (sessionCache === undefined) sessionCache = (await getMeta("session")) || null;
  return sessionCache;
}

/**
 * Log in online. A user keeps one client_id (and so one outbox) on this phone across
 * logins; another user on the same phone gets their own (contract: client_id_taken).
 */
export async function login(username, password) {
  const clients = (await getMeta("clients")) || {};
  let clientId = clients[username] || uuidv4();
  const attempt = (id) => request("/auth/login", { method: "POST", token: null,
    json: { username, password, client_id: id, device_name: deviceName() } });
  let answer;
  try {
    answer = await attempt(clientId);
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== "client_id_taken") throw err;
    clientId = uuidv4();
    answer = await attempt(clientId);
  }
  clients[username] = answer.client_id;
  await setMeta("clients", clients);
  const previous = await getMeta("copy_owner");
  if (previous && previous !== answer.user.id) {
    // Another user's area: drop the pulled copy (their outbox stays, keyed by client_id).
    const database = await db();
    const stores = ["sites", "hazards", "inspections", "tasks"];
    const tx = database.transaction(stores, "readwrite");
    await Promise.all(stores.map((s) => tx.objectStore(s).clear()));
    await tx.done;
    // Their pull position belonged to the copy just dropped: pull from the beginning.
    await setMeta(`cursor:${answer.client_id}`, null);
  }
  await setMeta("copy_owner", answer.user.id);
  sessionCache = { token: answer.token, client_id: answer.client_id, user: answer.user,
    logged_in_at: new Date().toISOString() };
  await setMeta("session", sessionCache);
  return sessionCache;
}

function deviceName() {
  const ua = navigator.userAgent;
  const model = /Android [^;]+; ([^)]+)\)/.exec(ua)?.[1] || (/iPhone/.test(ua) ? "iPhone" : "browser");
  return `巡查 PWA · ${model}`.slice(0, 100);
}

/** Log out: the token is revoked when the server can be reached; the outbox stays. */
export async function logout() {
  const current = await session();
  if (current) {
    await request("/auth/logout", { method: "POST", token: current.token, timeout: 5000 }).catch(() => {});
  }
  await setMeta("session", null);
  sessionCache = null;
}

export async function pendingCount() {
  const current = await session();
  if (!current) return 0;
  const waiting = (await outbox.entries(current.client_id)).filter((e) => e.status === "pending").length;
  const database = await db();
  const photos = (await database.getAll("blobs")).filter((b) => !b.uploaded).length;
  return waiting + photos;
}

// ---- sync ----------------------------------------------------------------------------

export const onSyncStatus = sync.onStatus;
export const syncNow = sync.syncNow;

/** Background sync, and after each good run the before-photos of open hazards. */
export function startBackgroundSync() {
  let last = null;
  sync.onStatus((status) => {
    if (!status.running && !status.error && status.lastSync && status.lastSync !== last) {
      last = status.lastSync;
      cacheHazardPhotos(beforePhotos).catch((err) => console.warn("hazard photos", err));
    }
  });
  sync.start();
}

export async function outboxContents() {
  const current = await session();
  const database = await db();
  const mutations = current ? (await outbox.entries(current.client_id)).filter((e) => e.status !== "acknowledged") : [];
  const photos = await database.getAll("blobs");
  return { mutations, photos: photos.filter((p) => !p.uploaded).concat(photos.filter((p) => p.uploaded).slice(-20)) };
}

// ---- sites ---------------------------------------------------------------------------

async function allSites() {
  return (await db()).getAll("sites");
}

/** Case-insensitive match on name, code and address; shortest names first. */
export async function searchSites(query) {
  const q = String(query || "").trim().toLowerCase();
  const sites = await allSites();
  const hits = q ? sites.filter((s) => [s.name, s.code, s.address].some((v) => v && v.toLowerCase().includes(q))) : sites;
  return hits.sort((a, b) => (a.name || "").localeCompare(b.name || "", "zh-CN"));
}

export async function sitesNear(position, limit = 30) {
  const sites = (await allSites()).filter((s) => Number.isFinite(s.lat) && Number.isFinite(s.lon));
  return sites.map((site) => ({ site, distance: distanceM(position, site) }))
    .sort((a, b) => a.distance - b.distance).slice(0, limit);
}

export async function getSite(id) {
  return (await db()).get("sites", id);
}

export async function sitesByIds(ids) {
  const database = await db();
  const out = new Map();
  for (const id of new Set(ids)) {
    const site = await database.get("sites", id);
    if (site) out.set(id, site);
  }
  return out;
}

export async function siteByCode(code) {
  return (await db()).getFromIndex("sites", "by_code", code);
}

export async function regionsForNewSite(current) {
  // The pulled sites tell which villages exist under the user's region.
  const byCode = new Map();
  for (const site of await allSites()) {
    if (site.region_code && !byCode.has(site.region_code)) byCode.set(site.region_code, site.region?.name || site.region_code);
  }
  const region = current.user.region;
  const out = [...byCode].map(([code, name]) => ({ code, name })).sort((a, b) => a.code.localeCompare(b.code));
  if (region && !byCode.has(region.code)) out.unshift({ code: region.code, name: region.name });
  return out;
}

export async function createSite(fields) {
  const args = { id: uuidv4(), ...fields };
  for (const key of ["lat", "lon", "contact_name", "contact_phone"]) if (args[key] === null) delete args[key];
  const entry = await outbox.enqueue("site.create", args, { label: fields.name });
  const site = { ...args, code: null, version: 0, local: entry.id, region: null };
  await (await db()).put("sites", site);
  await sync.refreshCounts();
  return site;
}

// ---- hazards and inspections ----------------------------------------------------------

export async function hazardsOfSite(siteId) {
  const list = await (await db()).getAllFromIndex("hazards", "by_site", siteId);
  return list.sort((a, b) => String(a.deadline || "9").localeCompare(String(b.deadline || "9")));
}

export async function getHazard(id) {
  return (await db()).get("hazards", id);
}

/** Open hazards of the area: overdue, and due within the next 7 days. */
export async function hazardsDue() {
  const today = localDay();
  const week = localDay(new Date(Date.now() + 7 * 86400000));
  const open = (await (await db()).getAll("hazards")).filter((z) => z.status !== "closed");
  const overdue = open.filter((z) => z.overdue || (z.deadline && z.deadline.slice(0, 10) < today));
  const dueWeek = open.filter((z) => !overdue.includes(z) && z.deadline && z.deadline.slice(0, 10) <= week);
  const byDeadline = (a, b) => String(a.deadline).localeCompare(String(b.deadline));
  return { overdue: overdue.sort(byDeadline), dueWeek: dueWeek.sort(byDeadline) };
}

export async function tasks() {
  const list = await (await db()).getAll("tasks");
  return list.filter((task) => !["done", "closed", "cancelled"].includes(task.status))
    .map((task) => ({ ...task, due: task.due || task.due_date || null }))
    .sort((a, b) => String(a.due || "9").localeCompare(String(b.due || "9")));
}

/** The site's inspections: pulled ones plus this phone's submitted copies. */
export async function inspectionsOfSite(siteId) {
  const database = await db();
  const pulled = await database.getAllFromIndex("inspections", "by_site", siteId);
  const mine = (await database.getAllFromIndex("drafts", "by_site", siteId)).filter((d) => d.state === "submitted");
  const ids = new Set(pulled.map((i) => i.id));
  const all = pulled.concat(mine.filter((d) => !ids.has(d.id)).map((d) => ({ ...d, review_state: "local" })));
  return all.sort((a, b) => String(b.finished_at || b.received_at).localeCompare(String(a.finished_at || a.received_at)));
}

export async function returnedInspections() {
  const list = await (await db()).getAll("inspections");
  return list.filter((i) => i.review_state === "returned" && !i.superseded_by);
}

// ---- checklists ----------------------------------------------------------------------

export async function allChecklists() {
  const list = await (await db()).getAll("checklists");
  const newest = new Map();
  for (const c of list) if (!newest.has(c.code) || newest.get(c.code).version < c.version) newest.set(c.code, c);
  return [...newest.values()].sort((a, b) => a.code.localeCompare(b.code));
}

export async function getChecklist(code, version) {
  return (await db()).get("checklists", [code, version]);
}

/** Suggested: the checklist applies to the site's kind and sectors; others: the rest. */
export async function checklistsFor(site) {
  const all = await allChecklists();
  const sectors = new Set(site?.sectors || []);
  const fits = (c) => (c.applies_to || []).includes(site?.kind) && (!sectors.size || sectors.has(c.sector));
  return { suggested: all.filter(fits), others: all.filter((c) => !fits(c)) };
}

/** The item definition for a hazard's item code, from any checklist on the phone. */
export async function checklistItem(code) {
  if (!code) return null;
  for (const c of await allChecklists()) {
    const item = (c.items || []).find((i) => i.code === code);
    if (item) return { ...item, checklist: { code: c.code, version: c.version } };
  }
  return null;
}

// ---- drafts --------------------------------------------------------------------------

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

// ---- submitting ----------------------------------------------------------------------

function answersFor(definition, answers) {
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
  for (const f of findings(definition, args.answers, draft.id, site?.kind ?? null)) {
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
  await sync.refreshCounts();
  sync.syncNow().catch(() => {});
  return entry;
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
  const entry = await outbox.enqueue("inspection.submit", args, { label: site?.name || "" });
  const database = await db();
  const tx = database.transaction(["drafts", "hazards"], "readwrite");
  await tx.objectStore("drafts").put({ ...structuredClone(draft), checklist, state: "submitted",
    finished_at: args.finished_at, mutation_id: entry.id });
  const stored = await tx.objectStore("hazards").get(draft.hazard_id);
  // Shown at once; the server's state replaces it on the next pull.
  if (stored) await tx.objectStore("hazards").put({ ...stored, verification_pending: draft.result });
  await tx.done;
  await sync.refreshCounts();
  sync.syncNow().catch(() => {});
  return entry;
}

// ---- photos --------------------------------------------------------------------------

export async function putBlob(photo) {
  const database = await db();
  const existing = await database.get("blobs", photo.sha256);
  if (existing) return existing;
  const record = { sha256: photo.sha256, blob: photo.blob, thumb: photo.thumb || null, size: photo.size, type: photo.type,
    width: photo.width || null, height: photo.height || null, uploaded: 0, offset: 0,
    created_at: new Date().toISOString() };
  await database.put("blobs", record);
  sync.refreshCounts();
  return record;
}

export async function getBlob(sha256) {
  return (await db()).get("blobs", sha256);
}

/** The server's thumbnail of a photo this phone does not hold (online only; needs the token). */
export async function remoteThumb(sha256) {
  try {
    const response = await request(`/blobs/${sha256}/thumb`, { raw: true, timeout: 15000 });
    return response.ok ? await response.blob() : null;
  } catch { return null; }
}

/** The photos of a hazard that the phone knows: its own record or its findings. */
export function beforePhotos(hazard) {
  const photos = new Set([...(hazard.before_photos || []), ...(hazard.photos || [])]);
  for (const f of hazard.findings || []) for (const p of f.photos || []) photos.add(p);
  for (const e of hazard.events || []) for (const p of e.photos || []) photos.add(p);
  return [...photos];
}
