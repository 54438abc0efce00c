// One site: details, open hazards with their deadlines, its inspections, start inspecting.
import { t, tx } from "../i18n.js";
import { h, mount, fmtDate, fmtDateTime, link, button } from "../ui.js";
import { getSite } from "../sites.js";
import { hazardsOfSite, inspectionsOfSite, openTasks } from "../register.js";
import { checklistRef, draftsForSite, newDraft, takeScan } from "../drafts.js";
import { pendingKinds } from "../field.js";
import { currentSession } from "../session.js";
import { regionNames } from "../regions.js";
import { allChecklists } from "../checklists.js";

export function hazardTags(hazard) {
  return [
    hazard.severity && hazard.severity !== "general" ? h("span", { class: "tag major" }, t("insp.major")) : null,
    hazard.overdue ? h("span", { class: "tag overdue" }, t("overdue")) : null,
    h("span", { class: "tag" }, t(`status.${hazard.status}`)),
    hazard.verification_pending ? h("span", { class: "tag warn" }, t("verify.pending")) : null,
    hazard.local ? h("span", { class: "tag warn" }, t("site.pending")) : null,
    pendingKinds(hazard).map((kind) => h("span", { class: "tag warn", "data-test": `pending-${kind}` },
      t(`pending.${kind}`))),
  ];
}

export function hazardCard(hazard, site = null) {
  return h("a", { class: "card", href: `#/verify/${hazard.id}`, "data-test": "hazard-card",
    "data-hazard": hazard.id },
  // The item's code is for the server; a person reads the tags and the statement.
  h("div", { class: "title" }, hazardTags(hazard)),
  h("div", {}, hazard.description || ""),
  site ? h("div", { class: "meta" }, site.name) : null,
  h("div", { class: "meta" }, t("site.deadline", { d: fmtDate(hazard.deadline) })));
}

/** The row of actions under an open hazard: plan, fix reported, comment. */
export function hazardActionRow(hazard) {
  const base = `#/hazard/${hazard.id}`;
  if (hazard.local) return null;
  return h("div", { class: "row actions", "data-test": "hazard-actions" },
    link(t("hazard.plan"), `${base}/plan`, "btn"),
    link(t("hazard.fixed"), `${base}/fix`, "btn"),
    link(t("hazard.comment"), `${base}/comment`, "btn"));
}

export async function render(root, siteId) {
  const site = await getSite(siteId);
  if (!site) {
    mount(root, h("p", { class: "error" }, t("site.notFound")), link(t("back"), "#/sites"));
    return;
  }
  const [hazards, history, drafts, names, checklists] = await Promise.all([
    hazardsOfSite(siteId), inspectionsOfSite(siteId), draftsForSite(siteId),
    currentSession().then(regionNames), allChecklists(),
  ]);
  // A person reads the checklist's title, never its code.
  const titles = new Map(checklists.map((c) => [c.code, c.title]));
  const followUp = (await openTasks()).find((task) => task.kind === "follow_up"
    && String(task.site_id) === String(site.id));
  const open = hazards.filter((z) => z.status !== "closed");
  mount(root,
    h("h1", { "data-test": "site-name" }, site.name,
      pendingKinds(site).map((kind) => h("span", { class: "tag warn" }, t(`pending.${kind}`)))),
    h("dl", { class: "kv" },
      h("dt", {}, t("site.code")), h("dd", {}, site.code || "—"),
      h("dt", {}, t("site.kind")), h("dd", {}, t(`kind.${site.kind}`)),
      h("dt", {}, t("site.address")), h("dd", {}, site.address || "—"),
      h("dt", {}, t("site.region")), h("dd", {}, site.region?.name || names.get(site.region_code) || "—"),
      h("dt", {}, t("site.contact")), h("dd", {}, [site.contact_name, site.contact_phone].filter(Boolean).join(" ") || "—")),
    drafts.map((draft) => h("div", { class: "notice" }, `${t("site.draft")} · ${fmtDateTime(draft.updated_at)} `,
      link(t("site.continue"), draft.hazard_id ? `#/verify/${draft.hazard_id}` : `#/inspect/${draft.id}`, "btn"))),
    // An open 回头看 task of this site: the visit is that follow-up (it marks the task done).
    button(followUp ? t("site.followUp") : t("site.inspect"), async () => {
      const draft = await newDraft(site, { scan: takeScan(site.code),
        kind: followUp ? "follow_up" : "routine" });
      location.hash = `#/inspect/${draft.id}`;
    }, "btn primary block", { "data-test": "start-inspection" }),
    h("div", { class: "row" },
      link(t("report.open"), `#/report/${site.id}`, "btn"),
      link(t("siteedit.open"), `#/site/${site.id}/edit`, "btn")),
    h("h2", {}, t("site.openHazards"), ` (${open.length})`),
    open.length ? h("ul", { class: "list" }, open.map((z) => h("li", {}, hazardCard(z), hazardActionRow(z))))
      : h("p", { class: "muted" }, t("site.noHazards")),
    h("h2", {}, t("site.history")),
    history.length ? h("ul", { class: "list" }, history.map((insp) => h("li", { class: "card" },
      h("div", { class: "title" }, insp.kind === "verification" ? t("verify.title")
        : tx(insp.checklist_title) || tx(titles.get(checklistRef(insp)?.code)) || "",
        " ", h("span", { class: "tag" }, t(`review.${insp.review_state || "local"}`))),
      h("div", { class: "meta" }, fmtDateTime(insp.finished_at || insp.received_at)),
      insp.review_comment ? h("div", {}, t("insp.reviewerSays", { c: insp.review_comment })) : null)))
      : h("p", { class: "muted" }, t("site.noHistory")));
}
