// The one <dialog> every modal form uses: htmx fills #modal-content, this
// file opens and closes the dialog and keeps focus where the user expects it.
(function () {
  "use strict";

  const dialog = () => document.getElementById("modal");
  const content = () => document.getElementById("modal-content");
  let opener = null;
  // After a save the table is swapped and the opening button replaced: focus
  // its successor (same hx-get) once the new table is in.
  let refocus = null;
  // What had focus right after the modal content arrived (see afterSettle).
  let focusedBySwap = null;

  // What the modal's fields held when it opened: a typed draft is never
  // thrown away by a stray click or key (issue 23). A form re-rendered with
  // errors keeps the first state, since nothing has been saved yet.
  let openedWith = null;

  function formState() {
    const forms = content() ? [...content().querySelectorAll("form")] : [];
    return JSON.stringify(
      forms.map((form) =>
        [...new FormData(form).entries()]
          .filter(([name, value]) => name !== "csrfmiddlewaretoken" && typeof value === "string")
      ),
    );
  }

  function isDirty() {
    return openedWith !== null && formState() !== openedWith;
  }

  function close() {
    const d = dialog();
    if (d && d.open) d.close();
  }

  // Closing asked for by the user (×, Abbrechen, Escape): with changes, only
  // after a yes to "Änderungen verwerfen?".
  function closeAsked() {
    if (isDirty() && !window.confirm(dialog().dataset.discardQuestion)) return;
    close();
  }

  document.addEventListener("htmx:beforeRequest", (event) => {
    const elt = event.detail.elt;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-opens-modal")) opener = elt;
    const error = content() && content().querySelector("[data-modal-error]");
    if (error) error.remove();
  });

  document.addEventListener("htmx:afterSettle", () => {
    if (!refocus || (document.activeElement && document.activeElement !== document.body)) return;
    const successor = [...document.querySelectorAll("[hx-get]")].find(
      (element) => element.getAttribute("hx-get") === refocus,
    );
    refocus = null;
    if (successor) successor.focus();
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target !== content()) return;
    const d = dialog();
    if (!content().children.length) return close();
    const verb = event.detail.requestConfig && event.detail.requestConfig.verb;
    if (!d.open || verb === "get") openedWith = formState();
    if (!d.open) d.showModal();
    // htmx would focus an [autofocus] field at settle whatever happened
    // since: a quick typist's next characters landed in it. Opening the
    // dialog has honoured it already; afterSettle below does it only while
    // nobody has moved on.
    for (const field of content().querySelectorAll("[autofocus]")) {
      field.removeAttribute("autofocus");
      field.dataset.autofocus = "";
    }
    focusedBySwap = document.activeElement;
  });

  // Focus once htmx has wired up the new content (it does so at settle, a
  // moment after the swap): a user typing at once must meet working fields.
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail.target !== content() || !dialog().open) return;
    // Someone already clicked or typed into a field: never pull focus away.
    if (document.activeElement !== focusedBySwap) return;
    // After a re-render with errors, put the cursor on the first wrong field.
    const target =
      content().querySelector(".has-error input, .has-error select, .has-error textarea") ||
      content().querySelector("[data-autofocus], input:not([type=hidden]), select, textarea, button[type=submit]");
    if (target) target.focus();
  });

  // A failed save (server error, lost connection) keeps the modal and the input.
  function showError(event) {
    const d = dialog();
    if (!d || !d.open || !d.contains(event.detail.elt)) return;
    const body = content().querySelector(".modal-body") || content();
    if (body.querySelector("[data-modal-error]")) return;
    const template = document.getElementById("modal-error-template");
    body.prepend(template.content.firstElementChild.cloneNode(true));
  }
  document.addEventListener("htmx:responseError", showError);
  document.addEventListener("htmx:sendError", showError);

  document.body.addEventListener("closeModal", close);

  // Where the mouse went down: selecting text in a field and letting go over
  // the backdrop also ends as a click on the <dialog>, and must not close it.
  let pressedOn = null;
  document.addEventListener("mousedown", (event) => {
    pressedOn = event.target;
  });

  document.addEventListener("click", (event) => {
    const d = dialog();
    if (!d || !d.open) return;
    // A click on the backdrop lands on the <dialog> element itself; it
    // closes an untouched modal, and never one with typed changes.
    if (event.target === d && pressedOn === d) {
      if (!isDirty()) close();
      return;
    }
    const closer = event.target.closest("[data-close-modal]");
    if (closer && d.contains(closer)) {
      event.preventDefault();
      closeAsked();
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    const d = dialog();
    if (!d) return;
    // Escape: the browser's cancel, asked about like the close button.
    d.addEventListener("cancel", (event) => {
      if (!isDirty()) return;
      event.preventDefault();
      closeAsked();
    });
    d.addEventListener("close", () => {
      openedWith = null;
      content().replaceChildren();
      if (opener && document.contains(opener)) opener.focus();
      refocus = opener && opener.getAttribute("hx-get");
      opener = null;
    });
  });
})();
