// On-screen signatures (双签字) with signature_pad: pressure-like strokes that stay legible
// with a gloved finger. The result is a PNG, stored and uploaded like a photo.
import SignaturePad from "../vendor/signature_pad.js";
import { h } from "./ui.js";

/** A signature field: {element, isEmpty(), toBlob(), clear(), destroy()}. */
export function signatureField({ onChange } = {}) {
  const canvas = h("canvas", { class: "sigpad" });
  const pad = new SignaturePad(canvas, {
    minWidth: 1.2, maxWidth: 3.2, penColor: "#000", backgroundColor: "rgb(255,255,255)",
  });
  pad.addEventListener("endStroke", () => onChange?.());

  // The canvas's pixel size must follow its CSS size (and the screen's density), or the
  // strokes land away from the finger. Resizing clears: keep the strokes as data.
  const fit = () => {
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    const rect = canvas.getBoundingClientRect();
    if (!rect.width) return;
    const data = pad.toData();
    canvas.width = Math.round(rect.width * ratio);
    canvas.height = Math.round(rect.height * ratio);
    canvas.getContext("2d").scale(ratio, ratio);
    pad.clear();
    if (data.length) pad.fromData(data);
  };
  const observer = new ResizeObserver(fit);
  observer.observe(canvas);

  return {
    element: canvas,
    isEmpty: () => pad.isEmpty(),
    clear: () => { pad.clear(); onChange?.(); },
    toBlob: () => new Promise((resolve, reject) => canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error("signature export failed"))), "image/png")),
    destroy: () => { observer.disconnect(); pad.off(); },
  };
}
