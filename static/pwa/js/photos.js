// Photos on the phone: decode (EXIF orientation applied), shrink to a long edge of ~1600 px,
// encode JPEG under ~300 KB, and name the bytes by their SHA-256. Evidence is addressed by
// content: the same bytes are the same photo on the phone and on the server.

export const MAX_EDGE = 1600;
export const TARGET_BYTES = 300 * 1024;
// Kept on the phone after the full photo is uploaded and dropped: enough to show the
// before-photo beside the after-photo at a revisit.
export const THUMB_EDGE = 320;
const START_QUALITY = 0.8;
const MIN_QUALITY = 0.5; // below this, text on a label or a gauge gets unreadable

/** Lowercase hex SHA-256 of a Blob or ArrayBuffer (SubtleCrypto: needs a secure context). */
export async function sha256Hex(data) {
  const buffer = data instanceof Blob ? await data.arrayBuffer() : data;
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function decode(file) {
  // "from-image" applies the EXIF orientation, so a portrait photo stays portrait.
  try {
    return await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    // Older engines: an <img> applies EXIF orientation by default (CSS image-orientation).
    const url = URL.createObjectURL(file);
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      return img;
    } finally {
      URL.revokeObjectURL(url);
    }
  }
}

function makeCanvas(width, height) {
  if (typeof OffscreenCanvas !== "undefined") return new OffscreenCanvas(width, height);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

function encode(canvas, quality) {
  if (canvas.convertToBlob) return canvas.convertToBlob({ type: "image/jpeg", quality });
  return new Promise((resolve, reject) => canvas.toBlob(
    (blob) => (blob ? resolve(blob) : reject(new Error("encode failed"))), "image/jpeg", quality));
}

function draw(source, width, height) {
  const canvas = makeCanvas(width, height);
  const ctx = canvas.getContext("2d", { alpha: false });
  ctx.fillStyle = "#fff"; // a transparent PNG must not turn black in JPEG
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(source, 0, 0, width, height);
  return canvas;
}

/**
 * Compress a camera/gallery file. Returns {blob, sha256, size, width, height, type}.
 *
 * Each JPEG encode of a 1600 px image costs ~50–300 ms on a phone, so the quality is not
 * searched step by step: the first result's size predicts the quality to try next, and
 * only a busy scene that still does not fit is shrunk (by the square root of the excess,
 * since bytes follow the pixel count).
 */
export async function compressPhoto(file, { maxEdge = MAX_EDGE, targetBytes = TARGET_BYTES } = {}) {
  const source = await decode(file);
  const srcW = source.width || source.naturalWidth;
  const srcH = source.height || source.naturalHeight;
  if (!srcW || !srcH) throw new Error("empty image");
  let scale = Math.min(1, maxEdge / Math.max(srcW, srcH));
  let quality = START_QUALITY;
  let blob = null;
  let width = 0;
  let height = 0;
  let thumb = null;
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      width = Math.max(1, Math.round(srcW * scale));
      height = Math.max(1, Math.round(srcH * scale));
      const canvas = draw(source, width, height);
      blob = await encode(canvas, quality);
      if (canvas.width) { canvas.width = 0; canvas.height = 0; } // free memory early
      if (blob.size <= targetBytes) break;
      const excess = blob.size / targetBytes;
      if (quality > MIN_QUALITY + 0.01) {
        // Size falls roughly linearly with quality in this range.
        quality = Math.max(MIN_QUALITY, quality - (excess - 1) * 0.35);
      } else {
        scale *= Math.min(0.9, 0.97 / Math.sqrt(excess));
      }
    }
    const thumbScale = Math.min(1, THUMB_EDGE / Math.max(srcW, srcH));
    thumb = await encode(draw(source, Math.max(1, Math.round(srcW * thumbScale)),
      Math.max(1, Math.round(srcH * thumbScale))), 0.7);
  } finally {
    source.close?.();
  }
  return { blob, thumb, sha256: await sha256Hex(blob), size: blob.size, width, height, type: "image/jpeg" };
}

/** A PNG (signature) as stored evidence: {blob, sha256, size, type}. */
export async function hashBlob(blob) {
  return { blob, sha256: await sha256Hex(blob), size: blob.size, type: blob.type || "image/png" };
}
