// What waits on the phone for the server (mutations in the outbox, photos not uploaded),
// and the background sync that sends it, caching open hazards' before-photos after each
// good run.
import { db } from "./db.js";
import * as outbox from "./outbox.js";
import * as sync from "./sync.js";
import { cacheHazardPhotos } from "./upload.js";
import { currentSession } from "./session.js";
import { beforePhotos } from "./blobs.js";

export async function pendingCount() {
  const current = await currentSession();
  if (!current) return 0;
  const waiting = (await outbox.entries(current.client_id)).filter((e) => e.status === "pending").length;
  const database = await db();
  const photos = (await database.getAll("blobs")).filter((b) => !b.uploaded).length;
  return waiting + photos;
}

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
  const current = await currentSession();
  const database = await db();
  const mutations = current ? (await outbox.entries(current.client_id)).filter((e) => e.status !== "acknowledged") : [];
  const photos = await database.getAll("blobs");
  return { mutations, photos: photos.filter((p) => !p.uploaded).concat(photos.filter((p) => p.uploaded).slice(-20)) };
}
