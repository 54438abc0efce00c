// Sync: upload photos, push the outbox, pull the area's changes. Runs at app start, when
// the browser says it is online, when the app comes to the foreground, on a timer, and on
// the user's button. One run at a time; every step can fail and be retried.
import { db, getMeta, setMeta } from "./db.js";
import { request, ApiError } from "./api.js";
import * as outbox from "./outbox.js";
import { uploadPending } from "./upload.js";
import { refreshRegions } from "./regions.js";
import { settleRejected } from "./pending.js";

const PUSH_BATCH = 50;
const PULL_LIMIT = 500;
const TIMER_MS = 5 * 60 * 1000;
// Retries after a failure: exponential with full jitter (phones that lost signal together
// must not all come back in the same second), capped; a server's Retry-After wins.
const BACKOFF_BASE_MS = 2000;
const BACKOFF_MAX_MS = 5 * 60 * 1000;
const STORES = { site: "sites", hazard: "hazards", inspection: "inspections", checklist: "checklists", task: "tasks",
  notification: "notifications" };

const listeners = new Set();
// `online` starts unknown-but-hopeful: navigator.onLine is only a hint, a request decides.
let status = { online: navigator.onLine, running: false, lastSync: null, error: null,
  pending: { inspections: 0, photos: 0, other: 0 }, rejected: 0, loginRequired: false,
  retryInMs: null, lost: [] };
let running = null;
let failures = 0;
let timer = null;

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
    // Ranges a server restore lost that this phone could not send again (reported).
    lost: (await getMeta(`lost:${session.client_id}`)) || [],
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
      if (err.code !== "mutation_gap") throw err;
      const expected = Number(err.details?.expected);
      if (expected > batch[0].id) {
        // The server already holds these ids (our answer was lost): they are duplicates.
        await outbox.recordResults(session.client_id, batch
          .filter((e) => e.id < expected).map((e) => ({ id: e.id, status: "duplicate" })));
        continue;
      }
      // The server wants an earlier id (it was restored from a backup): resend from there
      // what we kept, with the same ids; what we no longer hold, report as lost.
      if (await outbox.requeueFrom(session.client_id, expected)) continue;
      await reportLost(session, expected);
      continue;
    }
    await outbox.recordResults(session.client_id, answer.results, answer.epoch ?? null);
    const rejected = new Set(answer.results.filter((r) => r.status === "rejected").map((r) => r.id));
    await settleRejected(batch.filter((e) => rejected.has(e.id)).map((e) => ({ ...e, status: "rejected" })));
    await outbox.alignCounter(session.client_id, answer.last_mutation_id);
    if (!answer.results.length) return;
  }
}

/**
 * Ids from `expected` up to the next entry we hold are gone from the phone and from the
 * restored server. The server records them as lost (an audit event) and moves on, so the
 * phone is not stuck; it refuses (loss_not_explained) unless a restore explains the loss.
 */
async function reportLost(session, expected) {
  const next = await outbox.firstHeldAfter(session.client_id, expected);
  if (next == null) {
    throw Object.assign(new Error("outbox lost mutations the server never received"),
      { code: "outbox_lost", status: 409, details: { expected } });
  }
  const range = { from: expected, to: next - 1 };
  await request("/sync/lost", { method: "POST", timeout: 60000, json: {
    client_id: session.client_id, ...range, epoch: await outbox.ackEpoch(session.client_id) } });
  const key = `lost:${session.client_id}`;
  const lost = [...((await getMeta(key)) || []), { ...range, at: new Date().toISOString() }];
  await setMeta(key, lost);
  emit({ lost });
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
  let safe = 0;
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
    safe = page.safe_mutation_id ?? 0;
    if (!page.has_more) break;
  }
  return { last, safe };
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
    const { last, safe } = await pull(session);
    if (last !== null) {
      await outbox.prune(session.client_id, last, { safe });
      await dropProvisional(last);
    }
    await ensureChecklists().catch((err) => console.warn("checklists", err));
    await refreshRegions(session).catch((err) => console.warn("regions", err));
    await setMeta(`last_sync:${session.client_id}`, new Date().toISOString());
    failures = 0;
    emit({ online: true, loginRequired: false });
    schedule(TIMER_MS);
  } catch (err) {
    const loginRequired = err.status === 401;
    emit({ error: { code: err.code || "unknown", status: err.status || 0, message: err.message },
      online: !(err instanceof ApiError && err.code === "network"), loginRequired });
    // Logged out (token revoked/expired): keep the outbox, stop retrying until a new
    // login runs syncNow(). Anything else: back off and try again by ourselves.
    if (loginRequired) schedule(null);
    else schedule(retryDelay(err, ++failures));
    throw err;
  } finally {
    emit({ running: false });
    await refreshCounts();
  }
}

/** Milliseconds to wait before retry number `attempt` (1, 2, …) after `err`. */
export function retryDelay(err, attempt, random = Math.random) {
  const header = err?.headers?.get?.("Retry-After");
  if (header != null && header !== "") {
    const seconds = Number(header);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
    if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, BACKOFF_MAX_MS);
  }
  const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + random() * cap / 2);
}

/** The next automatic run in `ms` (null: none until someone calls syncNow). */
function schedule(ms) {
  clearTimeout(timer);
  timer = null;
  if (ms != null && started) timer = setTimeout(() => syncNow().catch(() => {}), ms);
  emit({ retryInMs: ms });
}

/** Run a sync now (or join the one running). Rejects with the error of a failed run. */
export function syncNow() {
  if (!running) emit({ running: true }); // at once: the button must not look idle meanwhile
  running ??= runOnce().finally(() => { running = null; });
  return running;
}

let started = false;
/**
 * Sync on start, on "online", when the app comes to the foreground, every 5 minutes, and
 * after a failure on the backoff schedule. "offline" only updates the indicator: the
 * browser's idea of the network is a hint, not a reason to stop trying.
 */
export function start() {
  if (started) return;
  started = true;
  const quiet = () => syncNow().catch(() => {});
  window.addEventListener("online", () => { failures = 0; quiet(); });
  window.addEventListener("offline", () => emit({ online: false }));
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") quiet(); });
  refreshCounts().then(quiet);
}
