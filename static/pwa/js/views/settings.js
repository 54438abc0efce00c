// Settings: language, storage (persistence, usage, the iOS warning), version, logout.
import { t, lang, setLang } from "../i18n.js";
import { h, mount, fmtBytes, ask } from "../ui.js";
import { currentSession, logout } from "../session.js";
import { pendingCount } from "../waiting.js";
import { estimate, persisted, requestPersistence, iosEvictionRisk } from "../storage.js";

export async function render(root) {
  const session = await currentSession();
  const storageBox = h("div", { "data-test": "storage" });
  const drawStorage = async () => {
    const [isPersisted, usage] = await Promise.all([persisted(), estimate()]);
    mount(storageBox,
      h("p", { class: isPersisted ? "okbox" : "notice", "data-test": "persisted" },
        isPersisted ? t("settings.persisted") : t("settings.notPersisted")),
      usage ? h("p", {}, t("settings.used", { u: fmtBytes(usage.usage), q: fmtBytes(usage.quota) })) : null,
      isPersisted ? null : h("button", { type: "button", class: "btn", onclick: async () => { await requestPersistence(); drawStorage(); } }, t("settings.persistAsk")),
      iosEvictionRisk() ? h("p", { class: "error" }, t("settings.ios")) : null);
  };
  const langSelect = h("div", { class: "row" },
    ["zh", "en"].map((code) => h("button", { type: "button", class: `btn ${lang() === code ? "primary" : ""}`,
      onclick: () => { setLang(code); render(root); } }, code === "zh" ? "中文" : "English")));
  const version = document.querySelector('meta[name="xuncha-version"]')?.content || "";
  mount(root, h("h1", {}, t("settings.title")),
    h("h2", {}, t("settings.lang")), langSelect,
    h("h2", {}, t("settings.storage")), storageBox,
    h("h2", {}, t("settings.user")),
    h("p", {}, session ? `${session.user.name} (${session.user.username}) · ${session.user.region?.name || ""}` : ""),
    h("button", { type: "button", class: "btn block", "data-test": "logout", onclick: async () => {
      const pending = await pendingCount();
      if (pending > 0 && !ask(t("settings.logoutWarn", { n: pending }))) return;
      await logout();
      location.hash = "#/login";
    } }, t("settings.logout")),
    h("p", { class: "small muted" }, `${t("settings.version")}: ${version}`));
  await drawStorage();
}
