/* isms: feedback while long work runs (imports, exports, packages). No build step.
   A form or link with data-busy="Preparing…" shows that text and cannot be sent twice.
   Everything works the same without this file; it only adds the feedback. */
(function () {
  "use strict";

  function announce(text) {
    var region = document.getElementById("busy-status");
    if (region) { region.textContent = text; }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-busy");
    if (!message || event.defaultPrevented) { return; }
    if (form.getAttribute("aria-busy") === "true") { event.preventDefault(); return; }
    form.setAttribute("aria-busy", "true");
    var buttons = form.querySelectorAll("button[type=submit], button:not([type])");
    // Disable after the browser has taken the form's data, so nothing is left out.
    window.setTimeout(function () {
      buttons.forEach(function (button) {
        button.disabled = true;
        button.setAttribute("data-label", button.textContent);
        button.textContent = message;
      });
    }, 0);
    announce(message);
  });

  // A download link does not leave the page: show the message, then give the link back.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-busy]") : null;
    if (!link) { return; }
    if (link.getAttribute("aria-disabled") === "true") { event.preventDefault(); return; }
    var label = link.textContent;
    link.setAttribute("aria-disabled", "true");
    link.classList.add("busy");
    link.textContent = link.getAttribute("data-busy");
    announce(link.getAttribute("data-busy"));
    window.setTimeout(function () {
      link.textContent = label;
      link.removeAttribute("aria-disabled");
      link.classList.remove("busy");
      announce("");
    }, 6000);
  });

  // Coming back with the browser's back button: undo a form's busy state.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[aria-busy=true]").forEach(function (form) {
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button[data-label]").forEach(function (button) {
        button.disabled = false;
        button.textContent = button.getAttribute("data-label");
      });
    });
  });
}());
