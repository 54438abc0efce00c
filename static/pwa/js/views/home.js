// Home: my tasks, returned inspections, overdue and due-this-week hazards, the sync bar.
import { t, tx } from "../i18n.js";
import { h, mount, fmtDate, link } from "../ui.js";
import { currentSession } from "../session.js";
import { sitesByIds } from "../sites.js";
import { hazardsDue, openTasks, returnedInspections } from "../register.js";
import { syncBar } from "./syncbar.js";
import { hazardCard } from "./site.js";

export async function render(root) {
  const session = await currentSession();
  const bar = syncBar();
  const [tasks, due, returnedList] = await Promise.all([
    openTasks(), hazardsDue(), returnedInspections(),
  ]);
  const sitesById = await sitesByIds([...due.overdue, ...due.dueWeek, ...tasks].map((x) => x.site_id));
  const taskList = tasks.length
    ? h("ul", { class: "list", "data-test": "tasks" }, tasks.map((task) => h("li", {}, h("a", {
      class: "card", href: task.site_id ? `#/site/${task.site_id}` : "#/sites",
      "data-test": "task", "data-task": task.id, "data-kind": task.kind || "",
    }, h("div", { class: "title" }, t(`task.${task.kind}`) !== `task.${task.kind}` ? t(`task.${task.kind}`) : (task.kind || "")),
    h("div", {}, tx(task.title) || ""),
    sitesById.get(task.site_id) ? h("div", { class: "meta" }, sitesById.get(task.site_id).name) : null,
    task.due ? h("div", { class: "meta" }, t("task.due", { d: fmtDate(task.due) })) : null))))
    : h("p", { class: "muted" }, t("home.noTasks"));
  const hazardList = (list) => (list.length
    ? h("ul", { class: "list" }, list.map((z) => h("li", {}, hazardCard(z, sitesById.get(z.site_id)))))
    : h("p", { class: "muted" }, t("home.noHazards")));
  mount(root,
    h("h1", {}, t("home.hello", { name: session.user.name })),
    bar.element,
    h("div", { class: "row" }, link(t("home.start"), "#/scan", "btn primary"),
      link(t("home.findSite"), "#/sites", "btn")),
    returnedList.length ? h("section", {}, h("h2", {}, t("home.returned")),
      link(`${t("home.returned")} (${returnedList.length})`, "#/returned", "btn block")) : null,
    h("h2", {}, t("home.tasks")), taskList,
    h("h2", {}, t("home.overdue"), ` (${due.overdue.length})`), hazardList(due.overdue),
    h("h2", {}, t("home.dueWeek"), ` (${due.dueWeek.length})`), hazardList(due.dueWeek));
  return bar.destroy;
}
