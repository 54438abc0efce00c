// The outbox: mutations made offline, numbered 1, 2, 3 … per client_id with no gaps, kept
// until the server has acknowledged them and their results have been pulled.
import { db, getMeta } from "./db.js";

const counterKey = (clientId) => `next_mutation_id:${clientId}`;

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

/** Record push results: applied/duplicate entries are acknowledged, rejected keep the error. */
export async function recordResults(clientId, results) {
  const database = await db();
  const tx = database.transaction("outbox", "readwrite");
  for (const result of results) {
    const entry = await tx.store.get([clientId, result.id]);
    if (!entry) continue;
    entry.status = result.status === "rejected" ? "rejected" : "acknowledged";
    entry.result = result;
    if (result.error) entry.error = result.error;
    await tx.store.put(entry);
  }
  await tx.done;
}

/**
 * After a pull that reached the server's `last_mutation_id`: acknowledged entries up to
 * it have their data on the phone now and can go. Rejected ones stay for the user to see.
 */
export async function prune(clientId, lastMutationId) {
  const database = await db();
  const tx = database.transaction("outbox", "readwrite");
  for (const entry of await tx.store.index("by_client").getAll(clientId)) {
    if (entry.id <= lastMutationId && entry.status === "acknowledged") await tx.store.delete([clientId, entry.id]);
  }
  await tx.done;
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
        delete entry.result;
        delete entry.error;
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
