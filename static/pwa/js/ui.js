// Small DOM helpers: build elements without innerHTML (no injection from site names or
// notes typed by anyone), format dates, show short messages.
import { t, lang } from "./i18n.js";

/** h("button", {class: "btn", onclick}, "text", child) → element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key in el && typeof value !== "string") {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : value);
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replace the content of an element. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function button(label, onclick, cls = "btn", extra = {}) {
  return h("button", { type: "button", class: cls, onclick, ...extra }, label);
}

export function link(label, href, cls = "btn") {
  return h("a", { class: cls, href }, label);
}

const pad = (n) => String(n).padStart(2, "0");

/** Local date and time, short: 2026-11-22 09:30. */
export function fmtDateTime(value) {
  if (!value) return "—";
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fmtDate(value) {
  if (!value) return "—";
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  return fmtDateTime(value).slice(0, 10);
}

/** "3 分钟前" / "3 min ago". */
export function fmtAgo(value) {
  if (!value) return t("never");
  const seconds = Math.max(0, (Date.now() - new Date(value).getTime()) / 1000);
  if (seconds < 60) return t("ago.now");
  if (seconds < 3600) return t("ago.min", { n: Math.floor(seconds / 60) });
  if (seconds < 86400) return t("ago.hour", { n: Math.floor(seconds / 3600) });
  return fmtDateTime(value);
}

export function fmtBytes(n) {
  if (!Number.isFinite(n)) return "—";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** Local calendar date (YYYY-MM-DD) of a Date, in the phone's time zone. */
export function localDay(d = new Date()) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

let toastTimer = null;
/** A short message at the top of the screen; errors stay until tapped. */
export function toast(message, kind = "info") {
  const banner = document.getElementById("banner");
  if (!banner) return;
  clearTimeout(toastTimer);
  mount(banner, h("span", { role: kind === "error" ? "alert" : "status" }, message));
  banner.hidden = false;
  banner.onclick = () => { banner.hidden = true; };
  if (kind !== "error") toastTimer = setTimeout(() => { banner.hidden = true; }, 3500);
}

/** A blocking yes/no question in the user's language (native, big, works with gloves). */
export function ask(message) {
  return window.confirm(message);
}

export function isZh() {
  return lang() === "zh";
}
