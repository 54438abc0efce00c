// The phone's copy of the area's register: hazards, tasks and inspections as pulled, and
// this phone's own submitted inspections beside them.
import { db } from "./db.js";
import { localDay } from "./ui.js";

export async function hazardsOfSite(siteId) {
  const list = await (await db()).getAllFromIndex("hazards", "by_site", siteId);
  return list.sort((a, b) => String(a.deadline || "9").localeCompare(String(b.deadline || "9")));
}

export async function getHazard(id) {
  return (await db()).get("hazards", id);
}

/** Open hazards of the area: overdue, and due within the next 7 days. */
export async function hazardsDue() {
  const today = localDay();
  const week = localDay(new Date(Date.now() + 7 * 86400000));
  const open = (await (await db()).getAll("hazards")).filter((z) => z.status !== "closed");
  const overdue = open.filter((z) => z.overdue || (z.deadline && z.deadline.slice(0, 10) < today));
  const dueWeek = open.filter((z) => !overdue.includes(z) && z.deadline && z.deadline.slice(0, 10) <= week);
  const byDeadline = (a, b) => String(a.deadline).localeCompare(String(b.deadline));
  return { overdue: overdue.sort(byDeadline), dueWeek: dueWeek.sort(byDeadline) };
}

export async function openTasks() {
  const list = await (await db()).getAll("tasks");
  return list.filter((task) => !["done", "closed", "cancelled"].includes(task.status))
    .map((task) => ({ ...task, due: task.due || task.due_date || null }))
    .sort((a, b) => String(a.due || "9").localeCompare(String(b.due || "9")));
}

/** The site's inspections: pulled ones plus this phone's submitted copies. */
export async function inspectionsOfSite(siteId) {
  const database = await db();
  const pulled = await database.getAllFromIndex("inspections", "by_site", siteId);
  const mine = (await database.getAllFromIndex("drafts", "by_site", siteId)).filter((d) => d.state === "submitted");
  const ids = new Set(pulled.map((i) => i.id));
  const all = pulled.concat(mine.filter((d) => !ids.has(d.id)).map((d) => ({ ...d, review_state: "local" })));
  return all.sort((a, b) => String(b.finished_at || b.received_at).localeCompare(String(a.finished_at || a.received_at)));
}

export async function returnedInspections() {
  const list = await (await db()).getAll("inspections");
  return list.filter((i) => i.review_state === "returned" && !i.superseded_by);
}

/** site id → when the latest inspection of today there finished (ms), pulled or from this phone. */
export async function sitesInspectedToday() {
  const today = localDay();
  const database = await db();
  const pulled = await database.getAll("inspections");
  const mine = (await database.getAll("drafts")).filter((d) => d.state === "submitted");
  const done = new Map();
  for (const insp of pulled.concat(mine)) {
    const when = Date.parse(insp.finished_at || insp.received_at || "");
    if (!Number.isFinite(when) || localDay(new Date(when)) !== today || insp.review_state === "rejected") continue;
    done.set(insp.site_id, Math.max(done.get(insp.site_id) || 0, when));
  }
  return done;
}
