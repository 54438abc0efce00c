// Resumable photo upload (API-CONTRACT, Blobs). Ask which blobs the server lacks, then for
// each: HEAD for the offset already received, PATCH the rest in chunks. A dropped link
// costs at most one chunk; the next sync continues where the server says it stopped.
import { db } from "./db.js";
import { request, errorFrom, ApiError } from "./api.js";

export const CHUNK_BYTES = 64 * 1024;

/**
 * The server holds the photo now: the full bytes leave the phone (its storage is small and
 * shared with WeChat); the thumbnail stays for showing it. Mutations name photos by hash,
 * so they do not need the bytes any more.
 */
async function markUploaded(sha256) {
  const database = await db();
  const tx = database.transaction("blobs", "readwrite");
  const record = await tx.store.get(sha256);
  if (record) {
    record.uploaded = 1;
    record.offset = record.size;
    record.uploaded_at = new Date().toISOString();
    if (record.thumb && record.blob) delete record.blob;
    await tx.store.put(record);
  }
  await tx.done;
}

const MAX_THUMBS_PER_RUN = 200;

/**
 * Fetch the server's thumbnails of the before-photos of open hazards in the area, so a
 * revisit without signal still shows them beside the after-photos. `photosOf(hazard)`
 * names them: the same list the verify screen shows.
 */
export async function cacheHazardPhotos(photosOf) {
  const database = await db();
  const hazards = (await database.getAll("hazards")).filter((z) => z.status !== "closed");
  const wanted = new Set();
  for (const z of hazards) for (const sha of photosOf(z)) wanted.add(sha);
  let fetched = 0;
  for (const sha of wanted) {
    if (fetched >= MAX_THUMBS_PER_RUN) break;
    if (await database.getKey("blobs", sha)) continue;
    const response = await request(`/blobs/${sha}/thumb`, { raw: true, timeout: 20000 });
    if (!response.ok) continue; // not in scope or not uploaded yet: try next time
    const thumb = await response.blob();
    // Written only if the phone has not meanwhile stored the original itself.
    const tx = database.transaction("blobs", "readwrite");
    if (!(await tx.store.getKey(sha))) {
      await tx.store.put({ sha256: sha, thumb, size: thumb.size, type: thumb.type,
        uploaded: 1, remote: true, created_at: new Date().toISOString() });
    }
    await tx.done;
    fetched++;
  }
  return fetched;
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
  // Stored already, yet the check asked for it: someone else uploaded these bytes, and only
  // an upload of our own lets our mutations name the photo (API contract 1.1).
  if (offset === null) return putWhole(record);
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
