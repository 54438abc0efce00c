// The one module that opens IndexedDB. Versioned upgrade steps: each step runs once, in
// order, on a phone that has an older database; a step is never edited after release.
//
// First version written by the PWA engineer (issue 7) so the screens can run; owned by the
// sync engineer (issue 5). Add a step at the end to add a store or index.
import { openDB } from "../vendor/idb.js";

export const DB_NAME = "xuncha";

const STEPS = [
  // 1: the pulled copy of the area, the outbox, photos and drafts.
  (db) => {
    db.createObjectStore("meta");
    db.createObjectStore("sites", { keyPath: "id" }).createIndex("by_code", "code");
    db.createObjectStore("hazards", { keyPath: "id" }).createIndex("by_site", "site_id");
    db.createObjectStore("inspections", { keyPath: "id" }).createIndex("by_site", "site_id");
    db.createObjectStore("checklists", { keyPath: ["code", "version"] });
    db.createObjectStore("tasks", { keyPath: "id" });
    // One outbox per client_id (one per user on a shared phone): key [client_id, id].
    db.createObjectStore("outbox", { keyPath: ["client_id", "id"] }).createIndex("by_client", "client_id");
    db.createObjectStore("blobs", { keyPath: "sha256" }).createIndex("by_uploaded", "uploaded");
    db.createObjectStore("drafts", { keyPath: "id" }).createIndex("by_site", "site_id");
  },
  // 2: the user's reminders (消息提醒), pulled like the rest and kept for offline reading.
  (db) => {
    db.createObjectStore("notifications", { keyPath: "id" });
  },
];

export const DB_VERSION = STEPS.length;

let opening = null;

/** The open database (one connection per page). */
export function db() {
  opening ??= openDB(DB_NAME, DB_VERSION, {
    upgrade(database, oldVersion) {
      for (let v = oldVersion; v < STEPS.length; v++) STEPS[v](database);
    },
    blocked() { /* an old tab holds the previous version; it closes on versionchange */ },
    blocking() { opening?.then((d) => d.close()); opening = null; },
  });
  return opening;
}

export async function getMeta(key) {
  return (await db()).get("meta", key);
}

export async function setMeta(key, value) {
  return (await db()).put("meta", value, key);
}
