// Small behaviours every page uses, as data attributes instead of inline
// event handlers, so that the Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  // <select data-autosubmit>: submit its form when the choice changes (htmx
  // sees the submit event where the form has hx-get).
  document.addEventListener("change", (event) => {
    const field = event.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) {
      field.form.requestSubmit();
    }
  });

  document.addEventListener("click", (event) => {
    // <button data-dismiss>: remove the message it sits in.
    const dismiss = event.target.closest && event.target.closest("[data-dismiss]");
    if (dismiss && dismiss.parentElement) dismiss.parentElement.remove();
    // <input data-select-on-click>: select the whole value (to copy it).
    if (event.target.matches && event.target.matches("[data-select-on-click]")) {
      event.target.select();
    }
    // <button data-menu-toggle>: fold the main menu out and in on a phone.
    const toggle = event.target.closest && event.target.closest("[data-menu-toggle]");
    if (toggle) {
      const bar = toggle.closest("[data-menu]");
      const open = bar.dataset.menu !== "open";
      bar.dataset.menu = open ? "open" : "closed";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    // <button data-nav-more-toggle>: the menu's "Mehr" entries on a desk;
    // a click elsewhere folds them away.
    const more = event.target.closest && event.target.closest("[data-nav-more-toggle]");
    document.querySelectorAll("[data-nav-more]").forEach((menu) => {
      const button = menu.querySelector("[data-nav-more-toggle]");
      const open = more === button && button.getAttribute("aria-expanded") !== "true";
      if (open || !menu.contains(event.target)) {
        button.setAttribute("aria-expanded", open ? "true" : "false");
      }
    });
  });

  // Escape folds the "Mehr" entries away and gives the focus back.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    document.querySelectorAll('[data-nav-more-toggle][aria-expanded="true"]').forEach((button) => {
      button.setAttribute("aria-expanded", "false");
      button.focus();
    });
  });

  // <input data-enter-does-not-submit>: a barcode scanner ends with Enter,
  // which must not save a half-filled form.
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches && event.target.matches("[data-enter-does-not-submit]")) {
      event.preventDefault();
    }
  });

  // A filter form with data-open-on-submit: Enter (submit) asks the server to
  // open the one product the query names (a scanned EAN), typing does not.
  document.addEventListener("htmx:configRequest", (event) => {
    const form = event.detail.elt;
    const trigger = event.detail.triggeringEvent;
    if (form && form.matches && form.matches("[data-open-on-submit]") && trigger && trigger.type === "submit") {
      event.detail.parameters.open = "1";
    }
  });
})();
