// Inspections the reviewer sent back (退回修改): the comment, and a corrected copy that
// supersedes the original when submitted.
import { t, tx } from "../i18n.js";
import { h, mount, fmtDateTime } from "../ui.js";
import { sitesByIds } from "../sites.js";
import { returnedInspections } from "../register.js";
import { checklistRef, correctionDraft } from "../drafts.js";

export async function render(root) {
  const list = await returnedInspections();
  const sites = await sitesByIds(list.map((i) => i.site_id));
  mount(root, h("h1", {}, t("returned.title")),
    list.length ? h("ul", { class: "list" }, list.map((insp) => h("li", { class: "card", "data-test": "returned", "data-inspection": insp.id },
      h("div", { class: "title" }, sites.get(insp.site_id)?.name || ""),
      h("div", { class: "meta" }, `${tx(insp.checklist_title) || checklistRef(insp)?.code || ""} · ${fmtDateTime(insp.finished_at || insp.received_at)}`),
      h("div", { class: "notice" }, t("insp.reviewerSays", { c: insp.review_comment || insp.comment || "—" })),
      h("button", { type: "button", class: "btn primary block", onclick: async () => {
        const draft = await correctionDraft(insp);
        location.hash = `#/inspect/${draft.id}`;
      } }, t("returned.fix")))))
      : h("p", { class: "muted" }, t("returned.none")));
}
