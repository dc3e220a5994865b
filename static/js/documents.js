// The documents section's drop zone: files dragged onto the section go into
// the upload form's file input (as if chosen in the picker) and the form
// opens; the user says what they are (kind, date) and sends them with
// "Hochladen", through htmx as always. Without JavaScript the form works
// as a plain one. The section is swapped by htmx: listeners sit on the
// document, and this file may be loaded more than once.
(function () {
  "use strict";
  if (window.opticrmDocumentDrop) return;
  window.opticrmDocumentDrop = true;

  const zoneOf = (target) =>
    target instanceof Element ? target.closest("[data-drop-zone]") : null;

  const carriesFiles = (event) =>
    event.dataTransfer && [...event.dataTransfer.types].includes("Files");

  function fileInput(zone) {
    return zone.querySelector("[data-drop-target] input[type=file]");
  }

  // The names of the chosen files under the input: a drop changes no
  // visible picker label in every browser.
  function showChosen(input) {
    const target = input.closest("[data-drop-target]");
    const line = target && target.querySelector("[data-drop-chosen]");
    if (!line) return;
    line.textContent = [...input.files].map((file) => file.name).join(", ");
  }

  document.addEventListener("dragover", (event) => {
    const zone = zoneOf(event.target);
    if (!zone || !carriesFiles(event) || !fileInput(zone)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    zone.classList.add("is-dragover");
  });

  document.addEventListener("dragleave", (event) => {
    const zone = zoneOf(event.target);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("is-dragover");
  });

  document.addEventListener("drop", (event) => {
    const zone = zoneOf(event.target);
    const input = zone && fileInput(zone);
    if (!input || !event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    zone.classList.remove("is-dragover");
    const chosen = new DataTransfer();
    for (const file of event.dataTransfer.files) chosen.items.add(file);
    input.files = chosen.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    const details = input.closest("details");
    if (details) details.open = true;
    const kind = input.form && input.form.querySelector("select[name$=kind]");
    (kind || input).focus();
  });

  document.addEventListener("change", (event) => {
    const input = event.target;
    if (input instanceof HTMLInputElement && input.type === "file") showChosen(input);
  });
})();
