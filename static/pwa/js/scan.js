// Reading QR codes: the browser's own BarcodeDetector where it exists (Android Chrome),
// jsQR on canvas frames otherwise. Both paths read camera frames and gallery images.

let detectorPromise = null;

async function nativeDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    if (!formats.includes("qr_code")) return null;
    return new window.BarcodeDetector({ formats: ["qr_code"] });
  } catch {
    return null;
  }
}

function detector() {
  detectorPromise ??= nativeDetector();
  return detectorPromise;
}

let jsQRModule = null;
async function jsQR() {
  // Loaded on first use only: it is the largest library and many sessions never need it.
  jsQRModule ??= (await import("../vendor/jsqr.js")).default;
  return jsQRModule;
}

const frameCanvas = () => document.createElement("canvas");

async function decodeWithJsQR(source, width, height) {
  const decoder = await jsQR();
  // Large photos are scaled down: jsQR's time grows with pixels; a tag fills much of it.
  const scale = Math.min(1, 1024 / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const hgt = Math.max(1, Math.round(height * scale));
  const canvas = frameCanvas();
  canvas.width = w;
  canvas.height = hgt;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, w, hgt);
  const image = ctx.getImageData(0, 0, w, hgt);
  const result = decoder(image.data, w, hgt, { inversionAttempts: "attemptBoth" });
  return result ? result.data : null;
}

/** The text of the first QR code in an image/video/bitmap source, or null. */
export async function readQR(source, width, height) {
  const native = await detector();
  if (native) {
    try {
      const codes = await native.detect(source);
      if (codes.length) return codes[0].rawValue;
    } catch { /* fall through to jsQR */ }
  }
  return decodeWithJsQR(source, width, height);
}

/** Read a QR code from a picked image file. */
export async function readQRFromFile(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  try {
    return await readQR(bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

/**
 * Scan camera frames into a <video> until a code is read or stop() is called.
 * Returns {stop, done} where done resolves to the text (or null when stopped).
 */
export async function scanCamera(video) {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 } }, audio: false,
  });
  video.srcObject = stream;
  video.setAttribute("playsinline", "");
  video.muted = true;
  await video.play();
  let stopped = false;
  const stop = () => {
    stopped = true;
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  const done = (async () => {
    while (!stopped) {
      if (video.readyState >= 2 && video.videoWidth) {
        const text = await readQR(video, video.videoWidth, video.videoHeight).catch(() => null);
        if (text && !stopped) { stop(); return text; }
      }
      await new Promise((r) => setTimeout(r, 200)); // ~5 fps: enough, and spares the battery
    }
    return null;
  })();
  return { stop, done };
}
