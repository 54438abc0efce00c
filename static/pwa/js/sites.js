// The area's sites as pulled to the phone: search, nearby, by id or tag code, and a new
// site made offline (queued as site.create).
import { v4 as uuidv4 } from "../vendor/uuid.js";
import { db } from "./db.js";
import * as outbox from "./outbox.js";
import * as sync from "./sync.js";
import { distanceM } from "./geo.js";
import { regionNames } from "./regions.js";

// Names in pinyin order (河西村 before 晟舍村: by sound, not by character code).
export const PINYIN = new Intl.Collator("zh-Hans-CN-u-co-pinyin");

async function allSites() {
  return (await db()).getAll("sites");
}

/** Case-insensitive match on name, code and address; shortest names first. */
export async function searchSites(query) {
  const q = String(query || "").trim().toLowerCase();
  const sites = await allSites();
  const hits = q ? sites.filter((s) => [s.name, s.code, s.address].some((v) => v && v.toLowerCase().includes(q))) : sites;
  return hits.sort((a, b) => PINYIN.compare(a.name || "", b.name || ""));
}

export async function sitesNear(position, limit = 30) {
  const sites = (await allSites()).filter((s) => Number.isFinite(s.lat) && Number.isFinite(s.lon));
  return sites.map((site) => ({ site, distance: distanceM(position, site) }))
    .sort((a, b) => a.distance - b.distance).slice(0, limit);
}

export async function getSite(id) {
  return (await db()).get("sites", id);
}

export async function sitesByIds(ids) {
  const database = await db();
  const out = new Map();
  for (const id of new Set(ids)) {
    const site = await database.get("sites", id);
    if (site) out.set(id, site);
  }
  return out;
}

export async function siteByCode(code) {
  return (await db()).getFromIndex("sites", "by_code", code);
}

export async function regionsForNewSite(current) {
  // The pulled sites tell which villages exist under the user's region.
  const byCode = new Map();
  const names = await regionNames(current);
  for (const site of await allSites()) {
    if (site.region_code && !byCode.has(site.region_code)) {
      byCode.set(site.region_code, site.region?.name || names.get(site.region_code) || site.region_code);
    }
  }
  const region = current.user.region;
  const out = [...byCode].map(([code, name]) => ({ code, name })).sort((a, b) => PINYIN.compare(a.name, b.name));
  if (region && !byCode.has(region.code)) out.unshift({ code: region.code, name: region.name });
  return out;
}

export async function createSite(fields) {
  const args = { id: uuidv4(), ...fields };
  for (const key of ["lat", "lon", "contact_name", "contact_phone"]) if (args[key] === null) delete args[key];
  const entry = await outbox.enqueue("site.create", args, { label: fields.name });
  const site = { ...args, code: null, version: 0, local: entry.id, region: null };
  await (await db()).put("sites", site);
  await sync.refreshCounts();
  return site;
}
