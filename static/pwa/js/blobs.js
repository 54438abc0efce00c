// The photos and signatures on the phone (IndexedDB `blobs`, uploaded by upload.js), the
// server's thumbnail of one the phone does not hold, and the photos a hazard names.
import { db } from "./db.js";
import { request } from "./api.js";
import * as sync from "./sync.js";

export async function putBlob(photo) {
  const database = await db();
  const existing = await database.get("blobs", photo.sha256);
  if (existing) return existing;
  const record = { sha256: photo.sha256, blob: photo.blob, thumb: photo.thumb || null, size: photo.size, type: photo.type,
    width: photo.width || null, height: photo.height || null, uploaded: 0, offset: 0,
    created_at: new Date().toISOString() };
  await database.put("blobs", record);
  sync.refreshCounts();
  return record;
}

export async function getBlob(sha256) {
  return (await db()).get("blobs", sha256);
}

/** The server's thumbnail of a photo this phone does not hold (online only; needs the token). */
export async function remoteThumb(sha256) {
  try {
    const response = await request(`/blobs/${sha256}/thumb`, { raw: true, timeout: 15000 });
    return response.ok ? await response.blob() : null;
  } catch { return null; }
}

/** The photos of a hazard that the phone knows: its own record or its findings. */
export function beforePhotos(hazard) {
  const photos = new Set([...(hazard.before_photos || []), ...(hazard.photos || [])]);
  for (const f of hazard.findings || []) for (const p of f.photos || []) photos.add(p);
  for (const e of hazard.events || []) for (const p of e.photos || []) photos.add(p);
  return [...photos];
}
