// Keyboard use of the picker: arrow keys move between search box and
// results, Enter in the search box takes the first result instead of
// submitting the form. Delegated from the document, so it also serves pickers swapped in later.
(function () {
  "use strict";
  document.addEventListener("keydown", (event) => {
    const picker = event.target.closest && event.target.closest("[data-customer-picker]");
    if (!picker) return;
    const search = picker.querySelector("[data-customer-search]");
    const options = [...picker.querySelectorAll("[data-customer-option]")];
    const index = options.indexOf(event.target);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!options.length || (index < 0 && event.target !== search)) return;
      event.preventDefault();
      const next = index + (event.key === "ArrowDown" ? 1 : -1);
      if (next < 0) search.focus();
      else options[Math.min(next, options.length - 1)].focus();
    } else if (event.key === "Enter" && event.target === search) {
      event.preventDefault();
      if (!options.length) return;
      // Results that arrived a moment ago may not be wired up by htmx yet.
      if (window.htmx) htmx.process(options[0]);
      options[0].click();
    } else if (event.key === "Escape" && search && (index >= 0 || (event.target === search && search.value))) {
      // First Escape clears the search; the next one closes the modal.
      event.preventDefault();
      search.value = "";
      picker.querySelector("#customer-results").replaceChildren();
      search.focus();
    }
  });
})();
