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
