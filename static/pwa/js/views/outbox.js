// What is waiting on this phone: inspections, other changes, photos (with upload progress).
import { t } from "../i18n.js";
import { h, mount, fmtDateTime, fmtBytes } from "../ui.js";
import { outboxContents } from "../waiting.js";
import { onStatus as onSyncStatus } from "../sync.js";
import { syncBar } from "./syncbar.js";
import { estimate, persisted } from "../storage.js";

const NAMES = {
  "inspection.submit": { zh: "检查", en: "Inspection" }, "site.create": { zh: "新增场所", en: "New site" },
  "site.update": { zh: "修改场所", en: "Site change" }, "hazard.report": { zh: "上报隐患", en: "Hazard report" },
  "hazard.update": { zh: "修改隐患", en: "Hazard change" }, "hazard.comment": { zh: "隐患备注", en: "Hazard comment" },
  "hazard.rectification_reported": { zh: "报告已整改", en: "Fix reported" },
  "notification.read": { zh: "消息已读", en: "Reminders read" },
};

export async function render(root) {
  const bar = syncBar();
  const list = h("div", { "data-test": "outbox-list" });
  const draw = async () => {
    const { mutations, photos } = await outboxContents();
    const lang = document.documentElement.lang.startsWith("zh") ? "zh" : "en";
    mount(list,
      h("h2", {}, t("outbox.mutations"), ` (${mutations.length})`),
      mutations.length ? h("ul", { class: "list" }, mutations.map((m) => h("li", { class: "card", "data-test": "outbox-item" },
        h("div", { class: "title" }, `#${m.id} ${NAMES[m.name]?.[lang] || m.name}`),
        h("div", { class: "meta" }, `${m.label || ""} ${fmtDateTime(m.at)}`),
        m.error ? h("div", { class: "error" }, m.error.message || m.error.code) : null)))
        : h("p", { class: "muted" }, t("outbox.empty")),
      h("h2", {}, t("outbox.photos"), ` (${photos.length})`),
      h("ul", { class: "list" }, photos.map((p) => h("li", { class: "card small" },
        `${p.sha256.slice(0, 12)}… ${fmtBytes(p.size)} · `,
        p.uploaded ? t("outbox.uploaded") : `${t("outbox.waiting")}${p.offset ? ` ${Math.round((100 * p.offset) / p.size)}%` : ""}`))));
  };
  const unsubscribe = onSyncStatus(() => draw());
  const [usage, kept] = await Promise.all([estimate(), persisted()]);
  mount(root, h("h1", {}, t("outbox.title")), bar.element,
    usage ? h("p", { class: "small", "data-test": "storage-used" }, `${t("settings.storage")}: `,
      t("settings.used", { u: fmtBytes(usage.usage), q: fmtBytes(usage.quota) }), " · ",
      h("a", { href: "#/settings" }, kept ? t("settings.persisted") : t("settings.notPersisted"))) : null,
    list);
  await draw();
  return () => { bar.destroy(); unsubscribe(); };
}
