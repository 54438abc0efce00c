// The checklists on the phone (every pulled version): the newest of each, the ones that
// fit a site, the item behind a hazard.
import { db } from "./db.js";

export async function allChecklists() {
  const now = Date.now();
  // A version retired by the county (retires_at passed) takes no new inspection.
  const list = (await (await db()).getAll("checklists"))
    .filter((c) => !c.retires_at || Date.parse(c.retires_at) > now);
  const newest = new Map();
  for (const c of list) if (!newest.has(c.code) || newest.get(c.code).version < c.version) newest.set(c.code, c);
  return [...newest.values()].sort((a, b) => a.code.localeCompare(b.code));
}

export async function getChecklist(code, version) {
  return (await db()).get("checklists", [code, version]);
}

/** Suggested: the checklist applies to the site's kind and sectors; others: the rest. */
export async function checklistsFor(site) {
  const all = await allChecklists();
  const sectors = new Set(site?.sectors || []);
  const fits = (c) => (c.applies_to || []).includes(site?.kind) && (!sectors.size || sectors.has(c.sector));
  return { suggested: all.filter(fits), others: all.filter((c) => !fits(c)) };
}

/** The item definition for a hazard's item code, from any checklist on the phone. */
export async function checklistItem(code) {
  if (!code) return null;
  for (const c of await allChecklists()) {
    const item = (c.items || []).find((i) => i.code === code);
    if (item) return { ...item, checklist: { code: c.code, version: c.version } };
  }
  return null;
}
