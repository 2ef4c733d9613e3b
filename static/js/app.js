// Small behaviours that need no inline script (the Content Security Policy allows none).
(function () {
  "use strict";
  // Chained region selects: when a level changes, the levels below it are emptied until htmx
  // loads their new options.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-chain-next]")) return;
    var next = document.getElementById(select.getAttribute("data-chain-next"));
    while (next) {
      if (next !== document.getElementById(select.getAttribute("data-chain-next"))) {
        next.innerHTML = "<option value=\"\">—</option>";
      }
      var id = next.getAttribute("data-chain-next");
      next = id ? document.getElementById(id) : null;
    }
  });
  // Buttons that ask before acting: <button data-confirm="Message">.
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (target && !window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();
// Keyboard use of lists and decisions (no inline script: the Content Security Policy allows none).
//  - [data-shortcut="a"]: the key focuses the element (a button: Enter then presses it).
//  - [data-shortcut-focus="r"][data-focus-target=id]: the key focuses the field with that id.
//  - table[data-keyboard-list]: j/k move between rows, x checks the row, Enter opens it.
(function () {
  "use strict";
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }
  var current = -1;
  function rows() {
    var table = document.querySelector("table[data-keyboard-list]");
    return table ? Array.prototype.slice.call(table.querySelectorAll("tbody tr")) : [];
  }
  function move(step) {
    var all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, current + step));
    var link = all[current].querySelector("[data-row-link]");
    if (link) link.focus();
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key;
    var direct = document.querySelector('[data-shortcut="' + key + '"]');
    if (direct) { event.preventDefault(); direct.focus(); return; }
    var focusing = document.querySelector('[data-shortcut-focus="' + key + '"]');
    if (focusing) {
      var field = document.getElementById(focusing.getAttribute("data-focus-target"));
      if (field) { event.preventDefault(); field.focus(); }
      return;
    }
    if (key === "j") { event.preventDefault(); move(1); }
    else if (key === "k") { event.preventDefault(); move(-1); }
    else if (key === "x" && current >= 0) {
      var box = rows()[current].querySelector("input[type=checkbox]");
      if (box) { event.preventDefault(); box.checked = !box.checked; }
    }
  });
  document.addEventListener("change", function (event) {
    if (!event.target.matches || !event.target.matches("[data-check-all]")) return;
    var table = event.target.closest("table");
    table.querySelectorAll("tbody input[type=checkbox]").forEach(function (box) {
      box.checked = event.target.checked;
    });
  });
})();
