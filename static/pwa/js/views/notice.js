// The rectification notice full screen (隐患整改通知书, or 整改复查意见书 after a
// verification), made offline at the end of a visit: to hand over, or to photograph.
// After sync the server prints the same notice (GET /inspections/<id>/notice.pdf).
import { lang } from "../i18n.js";
import { h, mount } from "../ui.js";
import { getNotice } from "../notices.js";
import { photoUrl } from "./photofield.js";

// Kept here, not in i18n.js: the notice's wording is a document's, in one place.
const TEXT = {
  zh: {
    notice: "隐患整改通知书", recheck: "整改复查意见书", no: "编号：", site: "被检查单位（户）",
    address: "地址", contact: "负责人", date: "检查日期", inspector: "检查人员",
    intro: "经检查，你单位（户）存在下列安全隐患，现责令限期整改：",
    hazard: "存在的隐患", basis: "判定依据", deadline: "整改期限",
    outro: "请于整改期限内完成整改，整改完成后报告属地乡镇（街道）安全监管人员复查；整改期间应采取必要的安全防范措施。逾期未整改或整改不到位的，依法处理。",
    recheckIntro: "经复查，意见如下：", result: "复查意见",
    rectified: "已整改，符合要求", not_rectified: "未整改到位，继续整改",
    signInspector: "检查人员（签字）", signSite: "被检查单位负责人（签字）",
    refused: "拒绝签字。理由：{r}；见证人：{w}", unsigned: "（未签字）",
    done: "完成", missing: "找不到该通知书。",
  },
  en: {
    notice: "Rectification notice", recheck: "Re-check opinion", no: "No. ", site: "Inspected site",
    address: "Address", contact: "Responsible person", date: "Date", inspector: "Inspector",
    intro: "The inspection found the hazards below; rectify each by its deadline:",
    hazard: "Hazard", basis: "Basis", deadline: "Deadline",
    outro: "Report to the township when done; it will be re-checked. Keep safe meanwhile. Hazards not rectified in time are dealt with by law.",
    recheckIntro: "The re-check found:", result: "Result",
    rectified: "Rectified", not_rectified: "Not rectified: continue",
    signInspector: "Inspector (signature)", signSite: "Site representative (signature)",
    refused: "Refused to sign. Reason: {r}; witness: {w}", unsigned: "(not signed)",
    done: "Done", missing: "No such notice.",
  },
};

const CSS = `
.paper { background: #fff; color: #111; padding: 1rem .9rem 1.25rem; border: 1px solid #ccc; border-radius: 6px; font-size: 1rem; line-height: 1.5; }
.paper h1 { text-align: center; font-size: 1.45rem; letter-spacing: .15em; margin: .25rem 0 .5rem; }
.paper .no { font-weight: 600; margin-bottom: .5rem; overflow-wrap: anywhere; }
.paper dl { display: grid; grid-template-columns: auto 1fr; gap: .15rem .75rem; margin: 0 0 .75rem; }
.paper dt { color: #555; white-space: nowrap; }
.paper ol { padding-left: 1.2rem; margin: .25rem 0 .75rem; }
.paper ol li { margin-bottom: .5rem; }
.paper .basis, .paper .small { color: #555; font-size: .85rem; }
.paper .deadline { font-weight: 600; }
.paper .signs { display: grid; grid-template-columns: 1fr 1fr; gap: .75rem; margin-top: 1rem; }
.paper .signs img { width: 100%; max-height: 90px; object-fit: contain; border-bottom: 1px solid #999; }
`;

function say(key, params = {}) {
  const text = (TEXT[lang()] || TEXT.zh)[key] ?? TEXT.zh[key];
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

async function signature(sha) {
  const url = sha ? await photoUrl(sha) : "";
  return url ? h("img", { src: url, alt: "" }) : h("p", { class: "small" }, say("unsigned"));
}

export async function render(root, inspectionId) {
  const notice = await getNotice(inspectionId);
  if (!notice) {
    mount(root, h("p", { class: "error" }, say("missing")), h("a", { class: "btn", href: "#/" }, say("done")));
    return;
  }
  const s = notice.signatures || {};
  const refusal = s.refusal;
  const siteSign = s.site ? await signature(s.site)
    : refusal ? h("p", { "data-test": "notice-refusal" }, say("refused", { r: refusal.reason, w: refusal.witness_name }))
      : h("p", { class: "small" }, say("unsigned"));
  const site = notice.site || {};
  const findings = notice.hazards.length ? [
    h("p", {}, say("intro")),
    h("ol", { "data-test": "notice-hazards" }, notice.hazards.map((z) => h("li", {},
      h("div", {}, z.description),
      z.basis ? h("div", { class: "basis" }, `${say("basis")}：${z.basis}`) : null,
      h("div", { class: "deadline" }, `${say("deadline")}：${z.deadline}`)))),
    h("p", { class: "small" }, say("outro")),
  ] : [];
  const rechecks = notice.verifications.length ? [
    h("p", {}, say("recheckIntro")),
    h("ol", { "data-test": "notice-rechecks" }, notice.verifications.map((v) => h("li", {},
      h("div", {}, v.description),
      h("div", { class: "deadline" }, `${say("result")}：${say(v.result)}`),
      v.note ? h("div", { class: "small" }, v.note) : null))),
  ] : [];
  mount(root,
    h("style", {}, CSS),
    h("article", { class: "paper", "data-test": "notice", "data-no": notice.no },
      h("h1", {}, say(notice.kind === "recheck" ? "recheck" : "notice")),
      h("div", { class: "no", "data-test": "notice-no" }, `${say("no")}${notice.no}`),
      h("dl", {},
        h("dt", {}, say("site")), h("dd", {}, site.name || ""),
        h("dt", {}, say("address")), h("dd", {}, site.address || ""),
        h("dt", {}, say("contact")), h("dd", {}, `${site.contact_name || ""} ${site.contact_phone || ""}`),
        h("dt", {}, say("date")), h("dd", {}, notice.date),
        h("dt", {}, say("inspector")), h("dd", {}, notice.inspector)),
      findings, rechecks,
      h("div", { class: "signs" },
        h("div", {}, h("div", { class: "small" }, say("signInspector")), await signature(s.inspector)),
        h("div", {}, h("div", { class: "small" }, say("signSite")), siteSign))),
    h("a", { class: "btn primary block", href: notice.site_id ? `#/site/${notice.site_id}` : "#/",
      "data-test": "notice-done" }, say("done")));
}
