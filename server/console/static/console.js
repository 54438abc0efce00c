// Review console: keyboard shortcuts for working down a queue, and confirmations.
// j/k next/previous, Enter/o open, a approve, r return, x reject, u up to the list, ? help.
(function () {
  "use strict";

  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" ||
                  el.tagName === "SELECT" || el.isContentEditable);
  }

  // "Back" on an error page: the previous page when there is one (no inline script: the
  // console's Content-Security-Policy forbids it), else the link's own target.
  document.addEventListener("click", function (ev) {
    var link = ev.target.closest && ev.target.closest("a[data-back]");
    if (link && window.history.length > 1) { ev.preventDefault(); window.history.back(); }
  });

  // Confirm before any staff action (forms carry data-confirm; empty text = no prompt).
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var text = form.getAttribute("data-confirm");
    if (text && !window.confirm(text)) { ev.preventDefault(); }
  });

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-nav=rows] tbody tr[data-href]")); }
  var cursor = -1;
  function select(i) {
    var list = rows();
    if (!list.length) return;
    cursor = Math.max(0, Math.min(list.length - 1, i));
    list.forEach(function (r, n) { r.classList.toggle("cursor", n === cursor); });
    list[cursor].scrollIntoView({block: "nearest"});
  }

  function decide(key) {
    var button = document.querySelector("#review-form button[data-key='" + key + "']");
    if (!button) return false;
    var comment = document.getElementById("review-comment");
    if (button.hasAttribute("data-needs-comment") && comment && !comment.value.trim()) {
      comment.focus();
      comment.setAttribute("placeholder", button.textContent.trim() + " …");
      comment.dataset.pending = key;
      return true;
    }
    button.click();
    return true;
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var target = ev.target;
    // In the comment box, Ctrl-less Enter submits the pending return/reject.
    if (target.id === "review-comment" && ev.key === "Enter" && !ev.shiftKey && target.dataset.pending) {
      ev.preventDefault();
      var b = document.querySelector("#review-form button[data-key='" + target.dataset.pending + "']");
      if (b && target.value.trim()) b.click();
      return;
    }
    if (target.id === "review-comment" && ev.key === "Escape") { target.blur(); return; }
    if (typing(target)) return;
    var page = document.querySelector(".inspection");
    var help = document.getElementById("help");
    switch (ev.key) {
      case "?": if (help && help.showModal) { help.showModal(); } break;
      case "j":
        if (page && page.dataset.next) { location.href = page.dataset.next; } else { select(cursor + 1); }
        break;
      case "k":
        if (page && page.dataset.prev) { location.href = page.dataset.prev; } else { select(cursor - 1); }
        break;
      case "Enter": case "o":
        var list = rows();
        if (cursor >= 0 && list[cursor]) { location.href = list[cursor].dataset.href; } else { return; }
        break;
      case "u":
        if (page && page.dataset.up) { location.href = page.dataset.up; } else if (document.querySelector(".pagehead .nav a")) { document.querySelector(".pagehead .nav a").click(); }
        break;
      case "a": case "r": case "x":
        if (!decide(ev.key)) return;
        break;
      default: return;
    }
    ev.preventDefault();
  });

  // Clicking a row opens it, like Enter.
  document.addEventListener("click", function (ev) {
    var row = ev.target.closest && ev.target.closest("tr[data-href]");
    if (row && !ev.target.closest("a, button, input, form")) { location.href = row.dataset.href; }
  });
})();
