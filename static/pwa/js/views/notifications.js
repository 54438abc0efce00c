// 消息提醒: tasks, returned inspections, overdue hazards of my area, deadlines this week —
// each written from its kind and facts in the reader's language, newest first, unread
// ones marked; tapping one opens what it is about and marks it read. Works offline.
import { t } from "../i18n.js";
import { h, mount, fmtDate, fmtAgo, button } from "../ui.js";
import { sitesByIds } from "../sites.js";
import { getHazard } from "../register.js";
import { isUnread, markRead, reminders } from "../notifications.js";

/** Where a reminder leads on the phone. */
function target(n) {
  const data = n.data || {};
  if (n.kind === "returned") return "#/returned";
  if (n.hazard_id && (n.kind === "overdue" || n.kind === "due_soon")) return `#/verify/${n.hazard_id}`;
  if (data.site_id) return `#/site/${data.site_id}`;
  return "#/";
}

/** The reminder's lines, from its kind and data (the stored title is only a fallback). */
function lines(n, site, hazard) {
  const data = n.data || {};
  const place = data.site_name || site?.name || t("notif.unknownSite");
  switch (n.kind) {
    case "overdue":
    case "due_soon":
      return [place, hazard?.description || n.body || "",
        t("notif.deadline", { d: fmtDate(data.deadline || hazard?.deadline) })];
    case "task":
      return data.task_kind === "campaign"
        ? [t("notif.campaignSites", { c: data.campaign || t("task.campaign"), n: data.count || 1 }),
          t("notif.due", { d: fmtDate(data.due) })]
        : [t("notif.taskAt", { k: t(`task.${data.task_kind}`), s: place }), t("notif.due", { d: fmtDate(data.due) })];
    case "returned":
      return [place, t("notif.reviewer", { c: data.comment || "—" })];
    default:
      return [n.title || "", n.body || ""];
  }
}

export async function render(root) {
  const list = await reminders();
  const sites = await sitesByIds(list.map((n) => n.data?.site_id).filter(Boolean));
  const hazards = new Map();
  for (const n of list) if (n.hazard_id && !hazards.has(n.hazard_id)) hazards.set(n.hazard_id, await getHazard(n.hazard_id));
  const unread = list.filter(isUnread);
  const cards = list.map((n) => {
    const [first, ...rest] = lines(n, sites.get(n.data?.site_id), hazards.get(n.hazard_id));
    const fresh = isUnread(n);
    return h("li", {}, h("a", { class: `card notif${fresh ? " unread" : ""}`, href: target(n),
      "data-test": "notification", "data-kind": n.kind, "data-unread": fresh ? "1" : "",
      onclick: () => { if (fresh) markRead([n.id]); } },
    h("div", { class: "title" },
      h("span", { class: `tag${n.kind === "overdue" ? " overdue" : ""}` }, t(`notif.kind.${n.kind}`)), " ",
      fresh ? h("span", { class: "tag warn" }, t("notif.new")) : null),
    h("div", {}, first),
    rest.filter(Boolean).map((line) => h("div", { class: "meta" }, line)),
    h("div", { class: "meta small" }, fmtAgo(n.created_at))));
  });
  mount(root,
    h("h1", {}, t("notif.title")),
    h("p", { class: "small", "data-test": "notif-count" }, t("notif.unread", { n: unread.length })),
    unread.length ? button(t("notif.allRead"), async () => {
      await markRead(unread.map((n) => n.id));
      render(root);
    }, "btn block", { "data-test": "mark-all-read" }) : null,
    list.length ? h("ul", { class: "list", "data-test": "notifications" }, cards)
      : h("p", { class: "muted" }, t("notif.none")));
}
