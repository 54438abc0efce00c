// The sync bar: what is waiting, when the last sync was, what went wrong in plain words,
// and a button to sync now. Used on the home screen and the outbox.
import { t } from "../i18n.js";
import { h, mount, fmtAgo } from "../ui.js";
import { logout } from "../session.js";
import { onStatus as onSyncStatus, syncNow } from "../sync.js";

export function errorText(error) {
  if (!error) return "";
  if (error.code === "network") return t("err.network");
  if (error.code === "unauthorized" || error.code === "token_revoked") return t("err.auth");
  if (error.status >= 500 || error.code === "retry_later") return t("err.server");
  return t("err.unknown", { msg: error.message || error.code });
}

/** Returns {element, destroy}. */
export function syncBar() {
  const counts = h("div", { class: "counts", "data-test": "sync-counts" });
  const last = h("div", { class: "small" });
  const error = h("div", { class: "small", role: "alert" });
  const btn = h("button", { type: "button", class: "btn primary block", "data-test": "sync-now",
    onclick: () => syncNow().catch(() => {}) }, t("sync.now"));
  // A revoked or expired token: the work stays on the phone; logging in again sends it.
  const relogin = h("button", { type: "button", class: "btn block", hidden: true, "data-test": "relogin",
    onclick: async () => { await logout(); location.hash = "#/login"; } }, t("sync.relogin"));
  const el = h("section", { class: "syncbar", "aria-live": "polite" }, counts, last, error, relogin, btn);
  const show = (status) => {
    const p = status.pending || {};
    const waiting = (p.inspections || 0) + (p.photos || 0);
    // "All sent" only when nothing at all waits (a new site or a comment counts too).
    mount(counts, waiting ? t("sync.waiting", { n: p.inspections || 0, p: p.photos || 0 })
      : p.other ? "" : t("sync.allSent"));
    if (p.other) counts.append(h("div", { class: "small" }, t("sync.other", { n: p.other })));
    mount(last, t("sync.last", { when: fmtAgo(status.lastSync) }));
    el.dataset.lastSync = status.lastSync || "";
    el.dataset.running = status.running ? "1" : "";
    const problems = [];
    if (status.error) problems.push(t("sync.failed", { why: errorText(status.error) }));
    if (status.rejected) problems.push(t("sync.rejected", { n: status.rejected }));
    mount(error, problems.join(" · "));
    el.classList.toggle("has-error", problems.length > 0);
    relogin.hidden = !(status.loginRequired || status.error?.status === 401);
    btn.disabled = Boolean(status.running);
    btn.textContent = status.running ? t("sync.running") : t("sync.now");
  };
  const unsubscribe = onSyncStatus(show);
  return { element: el, destroy: unsubscribe };
}
