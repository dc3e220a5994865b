// Live updates. Every second the page asks whether anything changed (the
// server answers 304 while nothing did, see live/views.py); when a topic
// moved, the regions that show it reload in place, and a record open in a
// detail page or an edit form gets a quiet notice instead of new values
// under the user's fingers.
//
// Regions: an element with an id, hx-get (its own address, filters, page and
// sort included) and data-live="customer appointment" (the topics it shows).
// Records: data-live-record="customer:12" with data-live-version (the newest
// history event the page knows), a [data-live-notice] inside, and for edit
// forms data-live-reload-url (the form to load again).
(function () {
  "use strict";

  const meta = document.querySelector('meta[name="opticrm-live"]');
  if (!meta || !window.fetch || !window.AbortController) return;

  const interval = Number(meta.dataset.interval) || 1000;
  // Marks the changes this tab makes, so it is not told about them.
  const tab = Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
  let pass = meta.dataset.pass;
  let etag = meta.dataset.etag;
  const counters = JSON.parse(meta.dataset.counters);
  const staleTopics = new Set();
  let stopped = false;
  let polling = false;
  let resumeAt = 0;

  // --- The user's own htmx requests -------------------------------------------
  // Per region id: how many requests of the user aimed at it were started,
  // and which are still running. A live reload of that region yields to them.
  const started = new Map();
  const running = new Map();

  function regionIdOf(element) {
    const region = element && element.closest && element.closest("[data-live][id]");
    return region ? region.id : null;
  }

  document.addEventListener("htmx:configRequest", (event) => {
    event.detail.headers["X-Live-Tab"] = tab;
  });
  document.addEventListener("htmx:beforeSend", (event) => {
    const id = regionIdOf(event.detail.target || event.detail.elt);
    if (!id) return;
    started.set(id, (started.get(id) || 0) + 1);
    running.set(id, (running.get(id) || 0) + 1);
    // "loadend" comes after success, error, abort and timeout alike.
    event.detail.xhr.addEventListener("loadend", () => {
      running.set(id, Math.max(0, (running.get(id) || 0) - 1));
      window.setTimeout(reloadStaleRegions, 0);
    });
  });

  // --- Keeping what the user had --------------------------------------------
  // Open sections (the history) and the focused link or button survive a
  // region being replaced, by a live reload or by the refresh after a save.
  function openSections(root) {
    return [...root.querySelectorAll("details[data-keep-open]")]
      .filter((details) => details.open)
      .map((details) => details.dataset.keepOpen);
  }
  function reopen(root, keys) {
    if (!root) return;
    for (const key of keys) {
      const details = root.querySelector(`details[data-keep-open="${key}"]`);
      if (details) details.open = true;
    }
  }
  function focusKey(element) {
    if (!element || element === document.body) return null;
    return (
      element.getAttribute("hx-get") ||
      element.getAttribute("href") ||
      element.getAttribute("name") ||
      null
    );
  }
  function refocus(root, key) {
    if (!root || !key) return;
    const match = [...root.querySelectorAll("a, button, input, select, textarea, summary")].find(
      (element) => focusKey(element) === key,
    );
    if (match) match.focus({ preventScroll: true });
  }

  let beforeSwap = null;
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    beforeSwap = target && target.id ? { id: target.id, open: openSections(target) } : null;
  });
  document.addEventListener("htmx:afterSwap", () => {
    if (beforeSwap) reopen(document.getElementById(beforeSwap.id), beforeSwap.open);
    beforeSwap = null;
  });
  document.addEventListener("htmx:afterRequest", () => {
    beforeSwap = null; // an answer that was not swapped (error, 204) reopens nothing later
  });

  // --- Reloading regions ------------------------------------------------------
  const reloads = new Map(); // region id -> AbortController of the reload under way

  function get(url, headers, signal) {
    return fetch(url, {
      headers: Object.assign({ "X-Live-Tab": tab }, headers),
      cache: "no-store",
      credentials: "same-origin",
      signal: signal,
    });
  }

  function topicsOf(region) {
    return region.dataset.live.split(/\s+/).filter(Boolean);
  }

  function markStale(region) {
    topicsOf(region).forEach((topic) => staleTopics.add(topic));
  }

  async function reload(region) {
    const id = region.id;
    const url = region.getAttribute("hx-get");
    // A newer reload replaces one still under way: its answer would be older.
    if (reloads.has(id)) reloads.get(id).abort();
    const controller = new AbortController();
    reloads.set(id, controller);
    const userRequests = started.get(id) || 0;
    let response;
    let html;
    try {
      response = await get(url, { "HX-Request": "true", "HX-Current-URL": location.href }, controller.signal);
      html = response.status === 200 ? await response.text() : "";
    } catch (error) {
      if (controller.signal.aborted) return;
      return markStale(region); // offline for a moment: the next tick tries again
    } finally {
      if (reloads.get(id) === controller) reloads.delete(id);
    }
    if (response.headers.get("HX-Redirect")) return pause(); // signed out
    if (response.status >= 500) return markStale(region);
    if (response.status !== 200) return; // gone (404) or no longer allowed
    const current = document.getElementById(id);
    if (!current || current.getAttribute("hx-get") !== url) return; // the user moved on
    // The user searched, sorted or saved meanwhile: their answer wins, this one is old.
    if ((started.get(id) || 0) !== userRequests || running.get(id)) return markStale(current);
    const select = current.getAttribute("hx-select");
    const open = openSections(current);
    const focused = current.contains(document.activeElement) ? focusKey(document.activeElement) : null;
    htmx.swap(current, html, { swapStyle: "outerHTML" }, select ? { select: select } : {});
    const fresh = document.getElementById(id);
    reopen(fresh, open);
    refocus(fresh, focused);
  }

  function reloadStaleRegions() {
    if (!staleTopics.size) return;
    const topics = new Set(staleTopics);
    staleTopics.clear();
    for (const region of document.querySelectorAll("[data-live][hx-get][id]")) {
      if (!topicsOf(region).some((topic) => topics.has(topic))) continue;
      // Not while the user's own request for this region is under way: after it.
      if (running.get(region.id)) markStale(region);
      else reload(region);
    }
  }

  // --- Records open in a page or form ----------------------------------------
  async function checkRecord(marker) {
    const [kind, pk] = marker.dataset.liveRecord.split(":");
    const url =
      meta.dataset.recordUrl.replace("/KIND/0/", `/${kind}/${pk}/`) +
      `?since=${encodeURIComponent(marker.dataset.liveVersion || "0")}` +
      (marker.dataset.liveReloadUrl ? "&reload=1" : "");
    let response;
    try {
      response = await get(url, { "HX-Request": "true" });
    } catch (error) {
      return;
    }
    if (response.headers.get("HX-Redirect")) return pause();
    if (!response.ok) return;
    const version = response.headers.get("X-Live-Version");
    if (version) marker.dataset.liveVersion = version;
    if (response.status !== 200) return;
    const notice = marker.querySelector("[data-live-notice]");
    if (notice) notice.innerHTML = await response.text();
  }

  function checkRecords(topics) {
    for (const marker of document.querySelectorAll("[data-live-record]")) {
      if (topics.has(marker.dataset.liveRecord.split(":")[0])) checkRecord(marker);
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-live-reload]");
    const marker = button && button.closest("[data-live-reload-url]");
    if (!marker) return;
    event.preventDefault();
    if (marker.closest("#modal-content")) {
      htmx.ajax("GET", marker.dataset.liveReloadUrl, { target: "#modal-content" });
    } else {
      location.reload();
    }
  });

  // --- When live updates cannot go on ----------------------------------------
  function pause() {
    if (stopped) return;
    stopped = true;
    const banner = document.createElement("div");
    banner.className = "live-paused";
    banner.setAttribute("role", "status");
    banner.textContent = meta.dataset.pausedText + " ";
    const link = document.createElement("a");
    link.href = location.href;
    link.textContent = meta.dataset.reloadText;
    banner.append(link);
    document.body.append(banner);
  }

  // The pass no longer fits the session cookie: the user signed in again in
  // another tab. A valid login gets a new pass; otherwise live updates pause.
  async function renewPass() {
    try {
      const response = await get(meta.dataset.passUrl, { "HX-Request": "true" });
      if (response.ok && !response.headers.get("HX-Redirect")) {
        pass = (await response.json()).pass;
        return;
      }
    } catch (error) {
      return; // offline: try again next tick
    }
    pause();
  }

  // --- The poll ---------------------------------------------------------------
  async function poll() {
    if (polling || stopped || Date.now() < resumeAt) return;
    polling = true;
    try {
      const response = await get(meta.dataset.url, { "X-Live-Pass": pass, "If-None-Match": etag });
      if (response.status === 403) return await renewPass();
      if (response.status === 503) {
        resumeAt = Date.now() + 1000 * (Number(response.headers.get("Retry-After")) || 5);
        return;
      }
      if (response.status !== 200) return; // 304: nothing changed
      const fresh = await response.json();
      etag = response.headers.get("ETag") || etag;
      // Counters only grow; a process whose cache lags a moment must not
      // make a topic look changed twice.
      const moved = new Set(Object.keys(fresh).filter((topic) => fresh[topic] > (counters[topic] || 0)));
      moved.forEach((topic) => {
        counters[topic] = fresh[topic];
        staleTopics.add(topic);
      });
      checkRecords(moved);
    } finally {
      polling = false;
      reloadStaleRegions();
    }
  }

  // A hidden tab does not ask; it catches up the moment it is shown again.
  async function tick() {
    if (stopped) return;
    if (document.visibilityState !== "hidden") {
      try {
        await poll();
      } catch (error) {
        // Offline or the server restarts: ask again next time.
      }
    }
    window.setTimeout(tick, interval);
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") poll().catch(() => {});
  });

  window.setTimeout(tick, interval);
})();
