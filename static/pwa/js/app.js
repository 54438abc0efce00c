// Boot and routing. The shell is the same page for every URL (/app/, /app/#/site/…, and
// the QR tag URL /s/<code>.<sig>); the hash says which screen to show.
import { t, setLang, lang, translateStatic } from "./i18n.js";
import { h, mount, toast } from "./ui.js";
import { currentSession } from "./session.js";
import { startBackgroundSync } from "./waiting.js";
import { onStatus as onSyncStatus } from "./sync.js";
import { requestPersistence } from "./storage.js";
import * as home from "./views/home.js";
import * as login from "./views/login.js";
import * as sites from "./views/sites.js";
import * as site from "./views/site.js";
import * as siteNew from "./views/site_new.js";
import * as scan from "./views/scan.js";
import * as inspect from "./views/inspect.js";
import * as verify from "./views/verify.js";
import * as returned from "./views/returned.js";
import * as outbox from "./views/outbox.js";
import * as settings from "./views/settings.js";
import * as hazardReport from "./views/hazard_report.js";
import * as hazardActions from "./views/hazard_actions.js";
import * as siteEdit from "./views/site_edit.js";
import * as notifications from "./views/notifications.js";
import { unreadCount, onChange as onRemindersChange } from "./notifications.js";
import * as notice from "./views/notice.js";

const ROUTES = [
  [/^$/, home, "home"],
  [/^login$/, login, null],
  [/^sites$/, sites, "sites"],
  [/^sites\/new$/, siteNew, "sites"],
  [/^site\/([\w-]+)$/, site, "sites"],
  [/^site\/([\w-]+)\/edit$/, siteEdit, "sites"],
  [/^report\/([\w-]+)$/, hazardReport, "sites"],
  [/^hazard\/([\w-]+)\/(plan|fix|comment)$/, hazardActions, "sites"],
  [/^tag\/(.+)$/, scan, "scan"],
  [/^scan$/, scan, "scan"],
  [/^inspect\/([\w-]+)$/, inspect, "sites"],
  [/^verify\/([\w-]+)$/, verify, "sites"],
  [/^returned$/, returned, "home"],
  [/^outbox$/, outbox, "outbox"],
  [/^notifications$/, notifications, null],
  [/^settings$/, settings, null],
  [/^notice\/([\w-]+)$/, notice, "sites"],
];

let cleanup = null;
let renderSeq = 0;

function currentPath() {
  return decodeURIComponent(location.hash.replace(/^#\/?/, ""));
}

export function go(path, { replace = false } = {}) {
  const target = `#/${path}`;
  if (replace) {
    history.replaceState(null, "", `/app/${target}`);
    route();
  } else if (location.hash === target) {
    route();
  } else {
    location.hash = target;
  }
}

async function route() {
  const seq = ++renderSeq;
  const path = currentPath();
  const session = await currentSession();
  if (seq !== renderSeq) return;
  if (!session && path !== "login") {
    // A tag scanned with the phone's camera before logging in: open it after the login.
    const raw = location.hash.replace(/^#\/?/, "");
    if (raw) sessionStorage.setItem("xuncha.after_login", raw);
    go("login", { replace: true });
    return;
  }
  if (session && path === "login") { go("", { replace: true }); return; }
  let matched = null;
  for (const [pattern, view, tab] of ROUTES) {
    const m = pattern.exec(path);
    if (m) { matched = { view, tab, params: m.slice(1) }; break; }
  }
  if (!matched) { go("", { replace: true }); return; }
  if (typeof cleanup === "function") { try { cleanup(); } catch { /* view already gone */ } }
  cleanup = null;
  const root = document.getElementById("view");
  document.getElementById("tabs").hidden = !session;
  for (const a of document.querySelectorAll("#tabs a")) {
    a.classList.toggle("active", a.dataset.tab === matched.tab);
  }
  try {
    cleanup = await matched.view.render(root, ...matched.params);
  } catch (err) {
    console.error(err);
    mount(root, h("p", { class: "error", role: "alert" }, t("err.unknown", { msg: err.message })));
  }
  if (seq === renderSeq) root.focus({ preventScroll: true });
  showBadge().catch(() => {});
  window.scrollTo(0, 0);
}

/** The unread reminders' count in the top bar (none: no badge). */
async function showBadge() {
  const badge = document.getElementById("notif-badge");
  const link = document.getElementById("menu-notif");
  if (!badge || !link) return;
  const session = await currentSession();
  link.hidden = !session;
  const n = session ? await unreadCount() : 0;
  badge.textContent = n > 99 ? "99+" : String(n);
  badge.hidden = n === 0;
}

function showNet(status) {
  const el = document.getElementById("net");
  if (!el) return;
  el.textContent = status.running ? t("net.syncing")
    : status.online === false ? t("net.offline") : t("net.online");
}

// A new version waits until the user says so: replacing the app in the middle of an
// inspection would lose nothing (drafts are stored) but would surprise.
function offerUpdate(registration) {
  const banner = document.getElementById("banner");
  mount(banner,
    h("span", {}, t("update.ready")),
    h("button", {
      type: "button", class: "btn primary",
      onclick: () => registration.waiting?.postMessage({ type: "skip-waiting" }),
    }, t("update.apply")));
  banner.hidden = false;
  banner.onclick = null;
}

async function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  let reloading = false;
  const hadController = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    // First install: the page is already current. An accepted update: load the new shell.
    if (!hadController || reloading) return;
    reloading = true;
    location.reload();
  });
  try {
    const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration);
    registration.addEventListener("updatefound", () => {
      const worker = registration.installing;
      worker?.addEventListener("statechange", () => {
        if (worker.state === "installed" && navigator.serviceWorker.controller) {
          offerUpdate(registration);
        }
      });
    });
    // Check for a new version whenever the app comes back to the foreground.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") registration.update().catch(() => {});
    });
  } catch (err) {
    console.warn("service worker not registered", err);
  }
}

async function boot() {
  performance.mark?.("xuncha-modules"); // every module is loaded and evaluated by now
  setLang(lang());
  translateStatic();
  // The QR tag URL opened by the phone's camera: route inside the shell to the tag.
  const tagMatch = /^\/s\/([^/]+)$/.exec(location.pathname);
  if (tagMatch) {
    history.replaceState(null, "", `/app/#/tag/${encodeURIComponent(location.href)}`);
  }
  window.addEventListener("hashchange", route);
  onSyncStatus(showNet);
  // After each sync run (new reminders pulled) and after a reminder is read.
  onSyncStatus((status) => { if (!status.running) showBadge().catch(() => {}); });
  onRemindersChange(() => showBadge().catch(() => {}));
  await route();
  registerServiceWorker();
  startBackgroundSync();
  if (await currentSession()) requestPersistence();
  window.xunchaReady = true; // tests and the benchmark wait for this
  document.documentElement.dataset.ready = "1";
  performance.mark?.("xuncha-ready");
}

boot().catch((err) => {
  console.error(err);
  toast(t("err.unknown", { msg: err.message }), "error");
});
