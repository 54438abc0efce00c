// Scan a site's QR tag with the camera or from a gallery image, or type its code.
// Also the landing screen for a tag URL opened by the phone's own camera app (#/tag/<url>).
import { t } from "../i18n.js";
import { h, mount } from "../ui.js";
import { siteByCode } from "../sites.js";
import { rememberScan } from "../drafts.js";
import { parseTag, manualCode } from "../tag.js";
import { readQRFromFile, scanCamera } from "../scan.js";

async function openTag(text, message) {
  const tag = parseTag(text);
  if (tag.kind === "foreign") return fail(message, t("scan.foreign"));
  if (tag.kind === "bad_code") return fail(message, t("scan.badCode"));
  return openCode(tag.code, tag.sig, message);
}

async function openCode(code, sig, message) {
  const site = await siteByCode(code);
  if (!site) return fail(message, t("scan.unknown", { code }));
  // The scan is evidence that the inspector stood at the door: kept for the inspection.
  if (sig) rememberScan({ code, sig, at: new Date().toISOString() });
  location.hash = `#/site/${site.id}`;
  return true;
}

function fail(message, text) {
  message.className = "error";
  message.setAttribute("role", "alert");
  message.dataset.test = "scan-error";
  mount(message, text);
  return false;
}

export async function render(root, tagUrl) {
  const message = h("p", { class: "muted" });
  if (tagUrl) {
    mount(root, h("h1", {}, t("scan.title")), message);
    if (await openTag(tagUrl, message)) return;
  }
  const video = h("video", { playsinline: true, muted: true });
  const box = h("div", { class: "scanbox", hidden: true }, video);
  let scanner = null;
  const stopBtn = h("button", { type: "button", class: "btn block", hidden: true,
    onclick: () => stop() }, t("scan.stop"));
  const stop = () => { scanner?.stop(); scanner = null; box.hidden = true; stopBtn.hidden = true; };
  const cameraBtn = h("button", { type: "button", class: "btn primary block", onclick: async () => {
    try {
      box.hidden = false; stopBtn.hidden = false;
      message.className = "muted"; mount(message, t("scan.looking"));
      scanner = await scanCamera(video);
      const text = await scanner.done;
      if (text) await openTag(text, message);
    } catch (err) {
      stop();
      fail(message, t("scan.noCamera", { why: err.message }));
    }
  } }, t("scan.camera"));
  const file = h("input", { type: "file", accept: "image/*", "data-test": "scan-file",
    onchange: async () => {
      const picked = file.files[0];
      file.value = "";
      if (!picked) return;
      message.className = "muted"; mount(message, t("loading"));
      const text = await readQRFromFile(picked).catch(() => null);
      if (!text) { fail(message, t("scan.notFound")); return; }
      await openTag(text, message);
    } });
  const code = h("input", { name: "code", autocapitalize: "characters", maxlength: 16,
    placeholder: "K7Q2MX4", "aria-label": t("scan.manual") });
  const manual = h("form", { class: "inline", onsubmit: async (event) => {
    event.preventDefault();
    const value = manualCode(code.value);
    if (!value) { fail(message, t("scan.badCode")); return; }
    await openCode(value, null, message);
  } }, code, h("button", { type: "submit", class: "btn" }, t("scan.open")));
  mount(root, h("h1", {}, t("scan.title")), cameraBtn, box, stopBtn,
    h("label", { class: "btn block filebtn" }, t("scan.gallery"), file),
    h("h2", {}, t("scan.manual")), manual, message);
  return stop;
}
