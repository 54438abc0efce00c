// Home: my tasks grouped by village and due date (short rows with the address; a site
// inspected today after the task came is not "to do"), returned inspections, overdue and
// due-this-week hazards, the sync bar. Each list shows its first few and folds the rest.
import { t, tx } from "../i18n.js";
import { h, mount, fmtDate, link, localDay } from "../ui.js";
import { currentSession } from "../session.js";
import { sitesByIds } from "../sites.js";
import { hazardsDue, openTasks, returnedInspections, sitesInspectedToday } from "../register.js";
import { regionNames } from "../regions.js";
import { syncBar } from "./syncbar.js";
import { hazardCard } from "./site.js";

const SHOWN = 4; // rows per village (and hazards per list) before "N more"

/** The first `SHOWN` items, then a button that shows the rest in place. */
function folded(items, draw, attrs = {}) {
  const list = h("ul", { class: "list", ...attrs }, items.map((x, i) => {
    const li = h("li", {}, draw(x));
    if (i >= SHOWN) li.hidden = true;
    return li;
  }));
  if (items.length <= SHOWN) return list;
  const more = h("button", { type: "button", class: "btn block", "data-test": "show-more",
    onclick: () => { for (const li of list.children) li.hidden = false; more.remove(); } },
  t("home.more", { n: items.length - SHOWN }));
  return h("div", {}, list, more);
}

function dueTag(due, today) {
  if (!due) return null;
  const day = String(due).slice(0, 10);
  if (day < today) return h("span", { class: "tag overdue" }, t("home.overdueTasks"));
  if (day === today) return h("span", { class: "tag warn" }, t("home.today"));
  return null;
}

/** A due date as short as it can be read: "12-08" this year, the full date otherwise. */
function shortDay(due, today) {
  const day = fmtDate(due);
  return day.slice(0, 4) === today.slice(0, 4) ? day.slice(5) : day;
}

function taskRow(task, site, today) {
  const kind = t(`task.${task.kind}`) !== `task.${task.kind}` ? t(`task.${task.kind}`) : "";
  const place = site?.address || "";
  return h("a", { class: "card task", href: task.site_id ? `#/site/${task.site_id}` : "#/sites",
    "data-test": "task", "data-task": task.id, "data-kind": task.kind || "" },
  h("div", { class: "title" }, site?.name || tx(task.title) || "", " ",
    kind ? h("span", { class: "tag" }, kind) : null, " ", dueTag(task.due, today)),
  h("div", { class: "meta" }, [place, task.due ? t("task.due", { d: shortDay(task.due, today) }) : null]
    .filter(Boolean).join(" · ")));
}

/**
 * Tasks still to do, by village: [{village, tasks}] with the tasks by due date and the
 * villages by their earliest due date. A task whose site was inspected today after the
 * task was made counts as done until the server says so.
 */
export function groupTasks(tasks, sites, names, inspectedToday) {
  const groups = new Map();
  let hidden = 0;
  for (const task of tasks) {
    const done = inspectedToday.get(task.site_id);
    const made = Date.parse(task.created_at || "");
    if (done && (!Number.isFinite(made) || done >= made)) { hidden += 1; continue; }
    const code = sites.get(task.site_id)?.region_code || task.region_code || "";
    if (!groups.has(code)) groups.set(code, { village: names.get(code) || "", tasks: [] });
    groups.get(code).tasks.push(task);
  }
  const byDue = (a, b) => String(a.due || "9").localeCompare(String(b.due || "9"));
  const list = [...groups.values()];
  for (const g of list) g.tasks.sort(byDue);
  list.sort((a, b) => byDue(a.tasks[0], b.tasks[0]) || a.village.localeCompare(b.village, "zh-CN"));
  return { groups: list, hidden };
}

export async function render(root) {
  const session = await currentSession();
  const bar = syncBar();
  const [tasks, due, returnedList, inspected, names] = await Promise.all([
    openTasks(), hazardsDue(), returnedInspections(), sitesInspectedToday(), regionNames(session),
  ]);
  const sitesById = await sitesByIds([...due.overdue, ...due.dueWeek, ...tasks].map((x) => x.site_id));
  const today = localDay();
  const { groups, hidden } = groupTasks(tasks, sitesById, names, inspected);
  const taskList = groups.length
    ? h("div", { "data-test": "tasks" }, groups.map((g) => h("section", { class: "taskgroup", "data-test": "task-village" },
      h("h3", {}, t("home.village", { v: g.village || t("site.region"), n: g.tasks.length })),
      folded(g.tasks, (task) => taskRow(task, sitesById.get(task.site_id), today)))))
    : h("p", { class: "muted" }, t("home.noTasks"));
  const hazardList = (list) => (list.length
    ? folded(list, (z) => hazardCard(z, sitesById.get(z.site_id)))
    : h("p", { class: "muted" }, t("home.noHazards")));
  const count = groups.reduce((n, g) => n + g.tasks.length, 0);
  mount(root,
    h("h1", {}, t("home.hello", { name: session.user.name })),
    bar.element,
    h("div", { class: "row" }, link(t("home.start"), "#/scan", "btn primary"),
      link(t("home.findSite"), "#/sites", "btn")),
    returnedList.length ? h("section", {}, h("h2", {}, t("home.returned")),
      link(`${t("home.returned")} (${returnedList.length})`, "#/returned", "btn block")) : null,
    h("h2", {}, t("home.tasks"), count ? ` (${count})` : ""), taskList,
    hidden ? h("p", { class: "small muted", "data-test": "done-today" }, t("home.doneToday", { n: hidden })) : null,
    h("h2", {}, t("home.overdue"), ` (${due.overdue.length})`), hazardList(due.overdue),
    h("h2", {}, t("home.dueWeek"), ` (${due.dueWeek.length})`), hazardList(due.dueWeek));
  return bar.destroy;
}
