// The user's reminders (消息提醒) as pulled: newest first, the unread count for the badge,
// and marking read offline (`notification.read` in the outbox; the phone shows them read
// at once, the server's copy follows with the next pull).
import { db } from "./db.js";
import * as outbox from "./outbox.js";
import * as sync from "./sync.js";

const listeners = new Set();

export const isUnread = (n) => !n.read_at && !n.read_local;

export async function reminders() {
  const list = await (await db()).getAll("notifications");
  return list.sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
}

export async function unreadCount() {
  return (await reminders()).filter(isUnread).length;
}

/** Subscribe to "the count may have changed" (after a sync or a read); returns unsubscribe. */
export function onChange(callback) {
  listeners.add(callback);
  return () => listeners.delete(callback);
}

export function changed() {
  for (const cb of listeners) { try { cb(); } catch (err) { console.error(err); } }
}

/** Mark these reminders read: at once on the phone, queued for the server. */
export async function markRead(ids) {
  const database = await db();
  const tx = database.transaction("notifications", "readwrite");
  const unread = [];
  for (const id of ids) {
    const record = await tx.store.get(id);
    if (record && isUnread(record)) {
      unread.push(id);
      await tx.store.put({ ...record, read_local: true });
    }
  }
  await tx.done;
  if (!unread.length) return null;
  // The server takes at most 200 ids per mutation.
  for (let i = 0; i < unread.length; i += 200) {
    await outbox.enqueue("notification.read", { ids: unread.slice(i, i + 200) });
  }
  changed();
  await sync.refreshCounts();
  sync.syncNow().catch(() => {});
  return unread.length;
}
