// HTTP to the server, /api/v1 only. Every failure becomes an ApiError with the contract's
// error code; a network failure has code "network" (never trust navigator.onLine).
import { getMeta } from "./db.js";

export const BASE = "/api/v1";

export class ApiError extends Error {
  constructor(status, code, message, details = {}, headers = null) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

/** fetch with the session token; JSON in and out unless `raw` is set. */
export async function request(path, { method = "GET", json, body, headers = {}, token, raw = false,
  timeout = 30000, signal } = {}) {
  const session = token === undefined ? await getMeta("session") : null;
  const auth = token ?? session?.token;
  const h = { ...headers };
  if (auth) h.Authorization = `Bearer ${auth}`;
  if (json !== undefined) { h["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  signal?.addEventListener("abort", () => controller.abort());
  let response;
  try {
    response = await fetch(BASE + path, { method, headers: h, body, signal: controller.signal,
      cache: "no-store", credentials: "omit" });
  } catch (err) {
    throw new ApiError(0, "network", err.message || "network error");
  } finally {
    clearTimeout(timer);
  }
  if (raw) return response;
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204 || method === "HEAD") return null;
  return response.json();
}

export async function errorFrom(response) {
  let payload = null;
  try { payload = await response.json(); } catch { /* not JSON (a proxy page) */ }
  const e = payload?.error || {};
  return new ApiError(response.status, e.code || `http_${response.status}`, e.message || response.statusText,
    e.details || {}, response.headers);
}
