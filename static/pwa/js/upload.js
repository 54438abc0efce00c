// Resumable photo upload (API-CONTRACT, Blobs). Ask which blobs the server lacks, then for
// each: HEAD for the offset already received, PATCH the rest in chunks. A dropped link
// costs at most one chunk; the next sync continues where the server says it stopped.
import { db } from "./db.js";
import { request, errorFrom, ApiError } from "./api.js";

export const CHUNK_BYTES = 64 * 1024;

async function markUploaded(sha256) {
  const database = await db();
  const tx = database.transaction("blobs", "readwrite");
  const record = await tx.store.get(sha256);
  if (record) {
    record.uploaded = 1;
    record.offset = record.size;
    await tx.store.put(record);
  }
  await tx.done;
}

async function setOffset(sha256, offset) {
  const database = await db();
  const tx = database.transaction("blobs", "readwrite");
  const record = await tx.store.get(sha256);
  if (record && !record.uploaded) { record.offset = offset; await tx.store.put(record); }
  await tx.done;
}

async function serverOffset(sha256) {
  const response = await request(`/blobs/${sha256}`, { method: "HEAD", raw: true });
  if (response.status === 404) return 0;
  if (!response.ok) throw await errorFrom(response);
  if (response.headers.get("Upload-Complete") === "?0") {
    return Number(response.headers.get("Upload-Offset") || 0);
  }
  return null; // complete
}

async function uploadOne(record, onProgress) {
  const { sha256, blob, size } = record;
  let offset = await serverOffset(sha256);
  if (offset === null) return markUploaded(sha256);
  const type = record.type || blob.type || "image/jpeg";
  while (offset < size) {
    const end = Math.min(size, offset + CHUNK_BYTES);
    const response = await request(`/blobs/${sha256}`, {
      method: "PATCH", raw: true, body: blob.slice(offset, end), timeout: 60000,
      headers: { "Content-Type": type, "Upload-Offset": String(offset), "Upload-Length": String(size) },
    });
    if (response.status === 409) {
      // The server holds a different amount (a chunk landed but its answer was lost).
      const current = Number(response.headers.get("Upload-Offset"));
      if (!Number.isFinite(current)) throw await errorFrom(response);
      offset = current;
      continue;
    }
    if (response.status === 405 || response.status === 501) return putWhole(record);
    if (!response.ok) throw await errorFrom(response);
    offset = response.status === 204 ? Number(response.headers.get("Upload-Offset") || end) : size;
    await setOffset(sha256, offset);
    onProgress?.(sha256, offset, size);
  }
  return markUploaded(sha256);
}

async function putWhole(record) {
  const response = await request(`/blobs/${record.sha256}`, {
    method: "PUT", raw: true, body: record.blob, timeout: 120000,
    headers: { "Content-Type": record.type || "image/jpeg" },
  });
  if (!response.ok) throw await errorFrom(response);
  return markUploaded(record.sha256);
}

/** Blobs on the phone the server has not confirmed yet. */
export async function localPending() {
  const database = await db();
  return (await database.getAll("blobs")).filter((b) => !b.uploaded);
}

/**
 * Upload every stored blob the server lacks. A blob the server refuses for good (bad
 * image) is marked so it does not block the queue; its error is kept on the record.
 */
export async function uploadPending(onProgress) {
  const records = await localPending();
  if (!records.length) return { uploaded: 0 };
  const answer = await request("/blobs/check", {
    method: "POST", json: { blobs: records.map((r) => ({ sha256: r.sha256, size: r.size })) },
  });
  const missing = new Set(answer.missing);
  let uploaded = 0;
  for (const record of records) {
    if (!missing.has(record.sha256)) { await markUploaded(record.sha256); continue; }
    try {
      await uploadOne(record, onProgress);
      uploaded++;
    } catch (err) {
      if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 401
          && err.status !== 408 && err.status !== 429) {
        const database = await db();
        const stored = await database.get("blobs", record.sha256);
        if (stored) { stored.error = { code: err.code, message: err.message }; await database.put("blobs", stored); }
        continue;
      }
      throw err;
    }
  }
  return { uploaded };
}
