// Appointments: the modal's free slots, the week calendar on a phone and the
// printable day schedule. Data attributes only (the CSP allows no inline script).
(function () {
  "use strict";

  // <button data-free-slot data-date data-time data-staff>: a click fills the
  // appointment form's date, start and staff member; the end follows the type.
  function takeSlot(button) {
    const form = button.closest("form");
    if (!form) return;
    const set = (name, value) => {
      const field = form.elements.namedItem(name);
      if (field && value !== undefined) field.value = value;
    };
    set("date", button.dataset.date);
    set("start_time", button.dataset.time);
    set("staff", button.dataset.staff);
    set("end_time", "");
    form.querySelectorAll("[data-free-slot]").forEach((other) => {
      other.setAttribute("aria-pressed", other === button ? "true" : "false");
    });
  }

  document.addEventListener("click", (event) => {
    const target = event.target;
    if (!target.closest) return;
    const slot = target.closest("[data-free-slot]");
    if (slot) {
      event.preventDefault();
      takeSlot(slot);
      return;
    }
    // <button data-print>: the browser's print dialog (day schedule).
    if (target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
    }
  });

  // The week calendar scrolls sideways on a phone: bring today's column
  // (data-today) into view when the page opens, next to the time axis.
  function showToday(root) {
    const grid = root && root.querySelector(".calendar");
    const today = grid && grid.querySelector(".calendar-col[data-today]");
    if (!today || grid.scrollWidth <= grid.clientWidth) return;
    const axis = grid.querySelector(".calendar-times");
    const offset = today.offsetLeft - (axis ? axis.offsetWidth : 0);
    grid.scrollLeft = Math.max(0, offset);
  }

  // A live refresh replaces the calendar: keep where the user had scrolled.
  let keptScroll = null;
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (target && target.id === "calendar") {
      const grid = target.querySelector(".calendar");
      keptScroll = grid ? grid.scrollLeft : null;
    }
  });
  document.addEventListener("htmx:afterSettle", () => {
    if (keptScroll === null) return;
    const grid = document.querySelector("#calendar .calendar");
    if (grid) grid.scrollLeft = keptScroll;
    keptScroll = null;
  });

  document.addEventListener("DOMContentLoaded", () => showToday(document.getElementById("calendar")));
})();
