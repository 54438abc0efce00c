// Log in (online, once). After this the phone holds a token and a copy of the area.
import { t } from "../i18n.js";
import { h, mount } from "../ui.js";
import { login } from "../session.js";
import { syncNow } from "../sync.js";
import { iosEvictionRisk, requestPersistence } from "../storage.js";

export async function render(root) {
  const message = h("p", { class: "muted" }, t("login.needOnline"));
  const username = h("input", { name: "username", autocomplete: "username", required: true,
    autocapitalize: "none", spellcheck: false });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password",
    required: true });
  const submit = h("button", { type: "submit", class: "btn primary block" }, t("login.submit"));
  const form = h("form", { onsubmit: async (event) => {
    event.preventDefault();
    submit.disabled = true;
    mount(message, t("loading"));
    message.className = "muted";
    try {
      await login(username.value.trim(), password.value);
      requestPersistence(); // the moment the phone starts holding work worth keeping
      mount(message, t("login.loading"));
      await syncNow().catch(() => {}); // the first pull; the sync bar shows any error
      const next = sessionStorage.getItem("xuncha.after_login");
      sessionStorage.removeItem("xuncha.after_login");
      location.hash = `#/${next || ""}`;
    } catch (err) {
      message.className = "error";
      message.setAttribute("role", "alert");
      mount(message, err.code === "invalid_credentials" ? t("login.failed")
        : err.code === "too_many_attempts" ? t("login.tooMany")
          : err.code === "network" ? t("login.offline") : t("err.unknown", { msg: err.message }));
    } finally {
      submit.disabled = false;
    }
  } },
  h("label", { class: "field" }, t("login.username"), username),
  h("label", { class: "field" }, t("login.password"), password),
  submit);
  mount(root, h("h1", {}, t("login.title")), message,
    iosEvictionRisk() ? h("p", { class: "error", role: "alert" }, t("settings.ios")) : null, form);
  username.focus();
}
