// Changes made on the phone to a pulled record (a plan, a fix report, a site edit), kept on
// the record as `pending` until the server's copy replaces it with the next pull. A change
// the server refuses would otherwise stay shown forever (the record need not change on the
// server, so no new copy comes): its fields go back to what they were, its mark goes.
import { db } from "./db.js";

const STORES = { "hazard.update": "hazards", "hazard.rectification_reported": "hazards",
  "hazard.comment": "hazards", "site.update": "sites" };

/** Apply `patch` to the record at once and remember what it replaced. */
export async function markPending(store, id, kind, mutationId, patch = {}) {
  const database = await db();
  const tx = database.transaction(store, "readwrite");
  const record = await tx.store.get(id);
  if (record) {
    const before = Object.fromEntries(Object.keys(patch).map((k) => [k, record[k] ?? null]));
    const pending = [...(record.pending || []), { kind, mutation_id: mutationId, before }];
    await tx.store.put({ ...record, ...patch, pending });
  }
  await tx.done;
}

/** Undo on the phone what the server rejected (results of a push: {id, status}). */
export async function settleRejected(entries) {
  const rejected = entries.filter((e) => e.status === "rejected" && STORES[e.name]);
  if (!rejected.length) return;
  const database = await db();
  for (const entry of rejected) {
    const tx = database.transaction(STORES[entry.name], "readwrite");
    const record = await tx.store.get(entry.args.id);
    const mark = record?.pending?.find((p) => p.mutation_id === entry.id);
    if (mark) {
      await tx.store.put({ ...record, ...(mark.before || {}),
        pending: record.pending.filter((p) => p !== mark) });
    }
    await tx.done;
  }
}
