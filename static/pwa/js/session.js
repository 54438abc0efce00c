// Who is using the phone: log in (online), the current session, log out.
import { v4 as uuidv4 } from "../vendor/uuid.js";
import { db, getMeta, setMeta } from "./db.js";
import { request, ApiError } from "./api.js";

let sessionCache;

export async function currentSession() {
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
    const stores = ["sites", "hazards", "inspections", "tasks", "notifications"];
    const tx = database.transaction(stores, "readwrite");
    await Promise.all(stores.map((s) => tx.objectStore(s).clear()));
    await tx.done;
    // Their pull position belonged to the copy just dropped: pull from the beginning.
    await setMeta(`cursor:${answer.client_id}`, null);
  }
  await setMeta("copy_owner", answer.user.id);
  // notice_prefix: this device's prefix for rectification notice numbers (js/notices.js).
  sessionCache = { token: answer.token, client_id: answer.client_id, user: answer.user,
    notice_prefix: answer.notice_prefix ?? null, logged_in_at: new Date().toISOString() };
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
  const current = await currentSession();
  if (current) {
    await request("/auth/logout", { method: "POST", token: current.token, timeout: 5000 }).catch(() => {});
  }
  await setMeta("session", null);
  sessionCache = null;
}
