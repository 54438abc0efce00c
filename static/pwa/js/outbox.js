// The outbox: mutations made offline, numbered 1, 2, 3 … per client_id with no gaps, kept
// until the server has acknowledged them and their results have been pulled — and then,
// as "kept" entries (acknowledged, pulled_at set), until a server backup holds them
// (`safe_mutation_id`) or KEEP_DAYS have passed: a restore of the server from an older
// backup forgets them, and the phone sends them again (see README: restore recovery).
import { db, getMeta } from "./db.js";

const counterKey = (clientId) => `next_mutation_id:${clientId}`;
const ackEpochKey = (clientId) => `ack_epoch:${clientId}`;
// Bounds on what a phone keeps for a restore: a server backs up daily, so a kept entry
// normally goes within a day; these only stop a server without backups from filling the
// phone (a few KB each).
export const KEEP_DAYS = 14;
export const KEEP_MAX = 2000;

/** Queue a mutation for the current login's client. Returns the stored entry. */
export async function enqueue(name, args, { label = "" } = {}) {
  const session = await getMeta("session");
  if (!session) throw new Error("not logged in");
  const clientId = session.client_id;
  const database = await db();
  // Counter and entry in one transaction: a crash cannot leave a gap or reuse an id.
  const tx = database.transaction(["meta", "outbox"], "readwrite");
  const next = (await tx.objectStore("meta").get(counterKey(clientId))) || 1;
  const entry = { client_id: clientId, id: next, name, args, at: new Date().toISOString(),
    label, status: "pending", user: session.user.username };
  await tx.objectStore("outbox").put(entry);
  await tx.objectStore("meta").put(next + 1, counterKey(clientId));
  await tx.done;
  return entry;
}

/** This client's entries, oldest first. */
export async function entries(clientId) {
  const database = await db();
  return database.getAllFromIndex("outbox", "by_client", clientId);
}

/** Entries not yet acknowledged by the server. */
export async function pending(clientId) {
  return (await entries(clientId)).filter((e) => e.status === "pending");
}

/**
 * Record push results: applied/duplicate entries are acknowledged (in the server's sync
 * `epoch`), rejected keep the error.
 */
export async function recordResults(clientId, results, epoch = null) {
  const database = await db();
  const tx = database.transaction(["outbox", "meta"], "readwrite");
  const store = tx.objectStore("outbox");
  const now = Date.now();
  let acknowledged = false;
  for (const result of results) {
    const entry = await store.get([clientId, result.id]);
    if (!entry) continue;
    entry.status = result.status === "rejected" ? "rejected" : "acknowledged";
    entry.result = result;
    entry.acked_at = now;
    entry.epoch = epoch;
    if (result.error) entry.error = result.error;
    await store.put(entry);
    acknowledged = true;
  }
  // The epoch of the latest acknowledgment: after a restore, what the phone no longer
  // holds was acknowledged in it, and the server accepts a loss only from another epoch.
  if (acknowledged && epoch != null) await tx.objectStore("meta").put(epoch, ackEpochKey(clientId));
  await tx.done;
}

/** The sync epoch of the latest acknowledgment (null: none seen, or an older app). */
export async function ackEpoch(clientId) {
  return (await getMeta(ackEpochKey(clientId))) ?? null;
}

/**
 * After a pull that reached the server's `last_mutation_id`: acknowledged entries up to it
 * have their data on the phone now. Those a backup holds (id <= `safe`) go; the others stay
 * as kept entries until a later answer says they are safe, KEEP_DAYS after the pull, or
 * beyond the newest KEEP_MAX. Rejected ones stay for the user to see.
 */
export async function prune(clientId, lastMutationId, { safe = 0, now = Date.now() } = {}) {
  const database = await db();
  const tx = database.transaction("outbox", "readwrite");
  const kept = [];
  for (const entry of await tx.store.index("by_client").getAll(clientId)) {
    if (entry.status !== "acknowledged" || entry.id > lastMutationId) continue;
    if (entry.id <= safe || (entry.pulled_at && now - entry.pulled_at > KEEP_DAYS * 86400000)) {
      await tx.store.delete([clientId, entry.id]);
      continue;
    }
    if (!entry.pulled_at) {
      entry.pulled_at = now;
      await tx.store.put(entry);
    }
    kept.push(entry.id);
  }
  for (const id of kept.slice(0, Math.max(0, kept.length - KEEP_MAX))) {
    await tx.store.delete([clientId, id]);
  }
  await tx.done;
}

/** The smallest id above `id` this phone still holds (any status), or null. */
export async function firstHeldAfter(clientId, id) {
  const held = (await entries(clientId)).map((e) => e.id).filter((n) => n > id);
  return held.length ? Math.min(...held) : null;
}

/**
 * The server asks to resend from `expected`: entries from there on count as unsent again.
 * False when the first of them is gone (nothing the phone can do but report it).
 */
export async function requeueFrom(clientId, expected) {
  const database = await db();
  const tx = database.transaction("outbox", "readwrite");
  const all = await tx.store.index("by_client").getAll(clientId);
  const found = all.some((e) => e.id === expected);
  if (found) {
    for (const entry of all) {
      if (entry.id >= expected && entry.status !== "pending") {
        entry.status = "pending";
        for (const key of ["result", "error", "acked_at", "pulled_at", "epoch"]) delete entry[key];
        await tx.store.put(entry);
      }
    }
  }
  await tx.done;
  return found;
}

/** Make the counter follow the server (a reinstalled app must continue, not restart). */
export async function alignCounter(clientId, lastMutationId) {
  const database = await db();
  const tx = database.transaction("meta", "readwrite");
  const next = (await tx.store.get(counterKey(clientId))) || 1;
  if (next <= lastMutationId) await tx.store.put(lastMutationId + 1, counterKey(clientId));
  await tx.done;
}
