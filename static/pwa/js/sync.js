// Sync: upload photos, push the outbox, pull the area's changes. Runs at app start, when
// the browser says it is online, when the app comes to the foreground, on a timer, and on
// the user's button. One run at a time; every step can fail and be retried.
import { db, getMeta, setMeta } from "./db.js";
import { request, ApiError } from "./api.js";
import * as outbox from "./outbox.js";
import { uploadPending } from "./upload.js";

const PUSH_BATCH = 50;
const PULL_LIMIT = 500;
const TIMER_MS = 5 * 60 * 1000;
const STORES = { site: "sites", hazard: "hazards", inspection: "inspections", checklist: "checklists", task: "tasks" };

const listeners = new Set();
let status = { online: navigator.onLine, running: false, lastSync: null, error: null,
  pending: { inspections: 0, photos: 0, other: 0 }, rejected: 0 };
let running = null;

export function getStatus() { return status; }

/** Subscribe to status changes; returns the unsubscribe function. Called at once. */
export function onStatus(callback) {
  listeners.add(callback);
  callback(status);
  return () => listeners.delete(callback);
}

function emit(patch) {
  status = { ...status, ...patch };
  for (const cb of listeners) { try { cb(status); } catch (err) { console.error(err); } }
}

/** Counts for the sync bar: inspections, other changes and photos waiting. */
export async function refreshCounts() {
  const session = await getMeta("session");
  if (!session) return;
  const entries = await outbox.entries(session.client_id);
  const waiting = entries.filter((e) => e.status === "pending");
  const database = await db();
  const photos = (await database.getAll("blobs")).filter((b) => !b.uploaded).length;
  emit({
    pending: {
      inspections: waiting.filter((e) => e.name === "inspection.submit").length,
      other: waiting.filter((e) => e.name !== "inspection.submit").length,
      photos,
    },
    rejected: entries.filter((e) => e.status === "rejected").length,
    lastSync: (await getMeta(`last_sync:${session.client_id}`)) || null,
  });
}

async function push(session) {
  for (;;) {
    const batch = (await outbox.pending(session.client_id)).slice(0, PUSH_BATCH);
    if (!batch.length) return;
    const body = { client_id: session.client_id, sent_at: new Date().toISOString(),
      mutations: batch.map((e) => ({ id: e.id, name: e.name, at: e.at, args: e.args })) };
    let answer;
    try {
      answer = await request("/sync/push", { method: "POST", json: body, timeout: 60000 });
    } catch (err) {
      if (err.code === "mutation_gap" && err.details?.expected > batch[0].id) {
        // The server already holds these ids (our answer was lost): they are duplicates.
        await outbox.recordResults(session.client_id, batch
          .filter((e) => e.id < err.details.expected).map((e) => ({ id: e.id, status: "duplicate" })));
        continue;
      }
      throw err;
    }
    await outbox.recordResults(session.client_id, answer.results);
    await outbox.alignCounter(session.client_id, answer.last_mutation_id);
    if (!answer.results.length) return;
  }
}

async function applyChanges(changes) {
  const database = await db();
  const tx = database.transaction(Object.values(STORES), "readwrite");
  for (const change of changes) {
    const storeName = STORES[change.type];
    if (!storeName) continue;
    const store = tx.objectStore(storeName);
    if (change.type === "checklist") {
      const data = change.data || {};
      if (change.op === "put" && data.code) await store.put({ ...data });
      continue;
    }
    if (change.op === "remove") await store.delete(change.id);
    else await store.put({ ...change.data, id: change.id, version: change.version });
  }
  await tx.done;
}

async function clearCopy() {
  const database = await db();
  const tx = database.transaction(Object.values(STORES), "readwrite");
  await Promise.all(Object.values(STORES).map((name) => tx.objectStore(name).clear()));
  await tx.done;
}

async function pull(session) {
  const key = `cursor:${session.client_id}`;
  let cursor = await getMeta(key);
  let last = null;
  for (;;) {
    const query = new URLSearchParams({ limit: String(PULL_LIMIT) });
    if (cursor) query.set("cursor", cursor);
    let page;
    try {
      page = await request(`/sync/pull?${query}`, { timeout: 60000 });
    } catch (err) {
      if (err.code === "cursor_reset") {
        // The server cannot continue from our cursor: drop the copy, keep the outbox.
        await clearCopy();
        await setMeta(key, null);
        cursor = null;
        continue;
      }
      throw err;
    }
    await applyChanges(page.changes);
    cursor = page.cursor;
    await setMeta(key, cursor);
    last = page.last_mutation_id;
    if (!page.has_more) break;
  }
  return last;
}

/** Provisional records made on the phone, whose mutation the server has now answered. */
async function dropProvisional(lastMutationId) {
  const database = await db();
  for (const name of ["sites", "hazards", "inspections"]) {
    const tx = database.transaction(name, "readwrite");
    for (const record of await tx.store.getAll()) {
      if (record.local && record.local <= lastMutationId) await tx.store.delete(record.id);
    }
    await tx.done;
  }
}

async function ensureChecklists() {
  const database = await db();
  if ((await database.count("checklists")) > 0) return;
  // Older servers send checklists only by their own endpoints, not in the pull.
  const list = await request("/checklists");
  for (const summary of list.checklists) {
    const definition = await request(`/checklists/${encodeURIComponent(summary.code)}/${summary.version}`);
    await database.put("checklists", definition);
  }
}

async function runOnce() {
  const session = await getMeta("session");
  if (!session) return;
  emit({ running: true, error: null });
  try {
    try {
      await uploadPending(() => refreshCounts());
    } catch (err) {
      // Without signal nothing else will work either; other upload errors must not hold
      // the inspections back (the server then waits for the photos: awaiting_media).
      if (err.code === "network" || err.status === 401) throw err;
      console.warn("photo upload", err);
    }
    await push(session);
    const last = await pull(session);
    if (last !== null) {
      await outbox.prune(session.client_id, last);
      await dropProvisional(last);
    }
    await ensureChecklists().catch((err) => console.warn("checklists", err));
    await setMeta(`last_sync:${session.client_id}`, new Date().toISOString());
    emit({ online: true });
  } catch (err) {
    emit({ error: { code: err.code || "unknown", status: err.status || 0, message: err.message },
      online: !(err instanceof ApiError && err.code === "network") });
    throw err;
  } finally {
    emit({ running: false });
    await refreshCounts();
  }
}

/** Run a sync now (or join the one running). Rejects with the error of a failed run. */
export function syncNow() {
  if (!running) emit({ running: true }); // at once: the button must not look idle meanwhile
  running ??= runOnce().finally(() => { running = null; });
  return running;
}

let started = false;
/** Sync on start, on "online", when the app comes to the foreground, and every 5 minutes. */
export function start() {
  if (started) return;
  started = true;
  const quiet = () => syncNow().catch(() => {});
  window.addEventListener("online", quiet);
  window.addEventListener("offline", () => emit({ online: false }));
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") quiet(); });
  setInterval(quiet, TIMER_MS);
  refreshCounts().then(quiet);
}
