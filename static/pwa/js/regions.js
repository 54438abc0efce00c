// The names of the regions in the user's area (GET /regions after each sync, kept in
// IndexedDB): the phone says "晟舍村", never a region code.
import { getMeta, setMeta } from "./db.js";
import { request } from "./api.js";

const key = (session) => `regions:${session.user.id}`;

/** Fetch the area's regions (online); kept for offline use. */
export async function refreshRegions(session) {
  const answer = await request("/regions", { timeout: 30000 });
  await setMeta(key(session), answer.regions || []);
}

/** code → name of the area's regions this phone knows. */
export async function regionNames(session) {
  const list = session ? (await getMeta(key(session))) || [] : [];
  return new Map(list.map((r) => [r.code, r.name]));
}
