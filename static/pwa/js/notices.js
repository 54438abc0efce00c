// Rectification notices (隐患整改通知书 / 整改复查意见书) made on the phone, offline.
//
// The number is "<notice_prefix>-<year>-<sequence>": the prefix is this device's own
// (the server gives it at login: township code and the device's serial there), the
// sequence is counted here per prefix and year, so no other phone can issue the same
// number. What the notice showed is kept (IndexedDB meta "notice:<inspection id>") to be
// shown again; after sync the server prints the same notice as PDF.
import { db } from "./db.js";
import { localDay } from "./ui.js";

/** The next number of this device's notices, or null when it has no prefix. */
export async function nextNoticeNo(prefix, now = new Date()) {
  if (!prefix) return null;
  const year = now.getFullYear();
  const key = `notice_seq:${prefix}:${year}`;
  const database = await db();
  const tx = database.transaction("meta", "readwrite");
  const seq = ((await tx.store.get(key)) || 0) + 1;
  await tx.store.put(seq, key);
  await tx.done;
  return `${prefix}-${year}-${String(seq).padStart(4, "0")}`;
}

/** Keep what a notice says, to show it again (full screen) by its inspection id. */
export async function saveNotice(notice) {
  return (await db()).put("meta", notice, `notice:${notice.inspection_id}`);
}

export async function getNotice(inspectionId) {
  return (await db()).get("meta", `notice:${inspectionId}`);
}

/** The facts of a notice for an inspection's findings (the register's deadline of a
 * hazard already open at the site; else the checklist's days from today). */
export function noticeFor({ no, kind, inspectionId, site, inspector, findings, verifications,
  openBySiteItem, signatures, at = new Date() }) {
  const hazards = findings.map((f) => {
    const open = openBySiteItem.get(f.item);
    return {
      description: open?.description || f.description,
      basis: f.standard ? [f.standard.name, f.standard.clause].filter(Boolean).join(" ") : "",
      deadline: open?.deadline || localDay(new Date(at.getTime() + (f.deadline_days || 7) * 86400000)),
    };
  });
  return {
    inspection_id: inspectionId, site_id: site?.id ?? null, no, kind: hazards.length ? "notice" : "recheck",
    inspection_kind: kind, date: localDay(at),
    site: site ? { name: site.name, address: site.address || "", contact_name: site.contact_name || "",
      contact_phone: site.contact_phone || "" } : null,
    inspector: inspector || "", hazards, verifications: verifications || [],
    signatures: signatures || {},
  };
}
