// Change a site's details on the doorstep (name, address, contact, sectors), offline.
// Only the fields changed are sent (`site.update`); the server merges them field by
// field with what others changed meanwhile.
import { t } from "../i18n.js";
import { h, mount, link, toast } from "../ui.js";
import { getSite } from "../sites.js";
import { PHONE_RE, updateSite } from "../field.js";

const SECTORS = ["gas", "fire", "construction", "fireworks", "forest", "rural"];

export async function render(root, siteId) {
  const site = await getSite(siteId);
  const back = `#/site/${siteId}`;
  if (!site) {
    mount(root, h("p", { class: "error" }, t("site.notFound")), link(t("back"), "#/sites"));
    return;
  }
  if (site.local || !site.version) {
    mount(root, h("h1", {}, t("siteedit.title")), h("p", { class: "notice" }, t("siteedit.notUploaded")),
      link(t("back"), back, "btn block"));
    return;
  }
  const input = (name, attrs = {}) => h("input", { name, value: site[name] || "", ...attrs });
  const name = input("name", { required: true, maxlength: 200 });
  const address = input("address", { maxlength: 300 });
  const contact = input("contact_name", { maxlength: 100 });
  const phone = input("contact_phone", { type: "tel", inputmode: "tel", maxlength: 32 });
  const boxes = SECTORS.map((s) => h("label", { class: "inline" },
    h("input", { type: "checkbox", value: s, checked: (site.sectors || []).includes(s), style: "width:28px;min-height:28px" }),
    t(`sector.${s}`)));
  const hint = h("p", { class: "small error", role: "alert", hidden: true });
  const form = h("form", { "data-test": "site-edit", onsubmit: async (event) => {
    event.preventDefault();
    const problems = [];
    if (!name.value.trim()) problems.push(t("newsite.name"));
    if (phone.value.trim() && !PHONE_RE.test(phone.value.trim())) problems.push(t("plan.badPhone"));
    hint.hidden = !problems.length;
    mount(hint, problems.join("；"));
    if (problems.length) return;
    const sectors = boxes.map((l) => l.querySelector("input")).filter((b) => b.checked).map((b) => b.value);
    let entry;
    try {
      entry = await updateSite(site, { name: name.value, address: address.value, contact_name: contact.value,
        contact_phone: phone.value, sectors });
    } catch (err) {
      toast(t("err.unknown", { msg: err.message }), "error");
      return;
    }
    toast(entry ? t("siteedit.saved") : t("siteedit.none"));
    location.hash = back;
  } },
  h("label", { class: "field" }, t("newsite.name"), name),
  h("label", { class: "field" }, t("newsite.address"), address),
  h("label", { class: "field" }, t("newsite.contact"), contact),
  h("label", { class: "field" }, t("newsite.phone"), phone),
  h("fieldset", {}, h("legend", {}, t("newsite.sectors")), boxes),
  h("p", { class: "small muted" }, t("siteedit.merge")),
  hint,
  h("button", { type: "submit", class: "btn primary block", "data-test": "save-site" }, t("siteedit.save")),
  link(t("back"), back, "btn block"));
  mount(root, h("h1", {}, t("siteedit.title")), form);
}
