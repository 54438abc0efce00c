// A row of photo thumbnails with a camera button: compress, hash, store, then report the
// sha256 list. Used by inspection items, refusal records and verifications.
import { t } from "../i18n.js";
import { h, mount, toast } from "../ui.js";
import { getBlob, putBlob, remoteThumb } from "../blobs.js";
import { compressPhoto } from "../photos.js";

const urls = new Map();

/** An object URL for a stored photo (kept for the page's life: thumbnails are reused). */
export async function photoUrl(sha256) {
  if (urls.has(sha256)) return urls.get(sha256);
  const record = await getBlob(sha256);
  const blob = record ? (record.blob || record.thumb) : await remoteThumb(sha256);
  if (!blob) return "";
  const url = URL.createObjectURL(blob);
  urls.set(sha256, url);
  return url;
}

export function thumbs(list) {
  // Every figure takes its fixed 96 px place at once and its picture fills in when read:
  // nothing further down the screen moves (under a finger that is signing, say). A photo
  // the phone does not hold (its copy had not come down before the signal went) says so.
  return h("div", { class: "photos" }, list.map((sha) => {
    const img = h("img", { alt: sha.slice(0, 8) });
    const figure = h("figure", {}, img);
    const missing = () => {
      // An empty place of the same size (not a broken-image icon); the caption says why.
      img.replaceWith(h("div", { class: "nophoto", "aria-hidden": "true" }));
      figure.append(h("figcaption", { "data-test": "photo-missing" }, t("photo.notHeld")));
    };
    photoUrl(sha).then((url) => { if (url) img.src = url; else missing(); }, missing);
    return figure;
  }));
}

/**
 * photoField({photos, onChange, label, testId}) → element. `photos` is the current sha256
 * list; onChange(newList) is called after a photo is safely stored.
 */
export function photoField({ photos = [], onChange, label = t("insp.photo"), testId = "photo" }) {
  let current = [...photos];
  const box = h("div", { class: "photos" });
  const status = h("span", { class: "small muted", "aria-live": "polite" });
  const redraw = async () => {
    const figures = [];
    for (const sha of current) {
      figures.push(h("figure", {},
        h("img", { alt: sha.slice(0, 8), src: await photoUrl(sha) }),
        h("figcaption", {}, h("button", { type: "button", class: "btn small", style: "min-height:44px;padding:0 .4rem",
          onclick: () => { current = current.filter((s) => s !== sha); onChange(current); redraw(); } },
        t("insp.remove")))));
    }
    mount(box, figures);
  };
  const input = h("input", { type: "file", accept: "image/*", capture: "environment", multiple: true,
    "data-test": testId, onchange: async () => {
      const files = [...input.files];
      input.value = "";
      for (const file of files) {
        mount(status, t("insp.compressing"));
        try {
          const photo = await compressPhoto(file);
          await putBlob(photo);
          if (!current.includes(photo.sha256)) current.push(photo.sha256);
          onChange(current);
        } catch (err) {
          toast(t("err.unknown", { msg: err.message }), "error");
        }
      }
      mount(status, "");
      redraw();
    } });
  redraw();
  return h("div", {}, box,
    h("label", { class: "btn filebtn" }, `📷 ${label}`, input), " ", status);
}
