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
  if (!meta || !window.fetch) return;

  const interval = Number(meta.dataset.interval) || 1000;
  // Marks the changes this tab makes, so it is not told about them.
  const tab = Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
  let etag = meta.dataset.etag;
  let counters = JSON.parse(meta.dataset.counters);
  const staleTopics = new Set();
  // The user's own htmx requests still running, and a count of all they started.
  const inFlight = new Set();
  let generation = 0;
  let stopped = false;

  document.addEventListener("htmx:configRequest", (event) => {
    event.detail.headers["X-Live-Tab"] = tab;
  });
  document.addEventListener("htmx:beforeRequest", (event) => {
    inFlight.add(event.detail.xhr);
    generation += 1;
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    inFlight.delete(event.detail.xhr);
    if (!inFlight.size) reloadStaleRegions();
  });

  // Sections the user opened (the history) stay open when their region is
  // replaced, by a live reload or by the refresh after a save.
  function openSections(root) {
    return [...root.querySelectorAll("details[data-keep-open]")]
      .filter((details) => details.open)
      .map((details) => details.dataset.keepOpen);
  }
  function reopen(keys) {
    for (const key of keys) {
      const details = document.querySelector(`details[data-keep-open="${key}"]`);
      if (details) details.open = true;
    }
  }
  let openBeforeSwap = [];
  document.addEventListener("htmx:beforeSwap", (event) => {
    openBeforeSwap = event.detail.target ? openSections(event.detail.target) : [];
  });
  document.addEventListener("htmx:afterSwap", () => {
    reopen(openBeforeSwap);
    openBeforeSwap = [];
  });

  function get(url, headers) {
    return fetch(url, {
      headers: Object.assign({ "X-Live-Tab": tab }, headers),
      cache: "no-store",
      credentials: "same-origin",
    });
  }

  function topicsOf(region) {
    return region.dataset.live.split(/\s+/).filter(Boolean);
  }

  // A reload answered after the user started a request of their own (a new
  // search, a save) is dropped: their answer wins, the reload comes after it.
  async function reload(region, started) {
    const url = region.getAttribute("hx-get");
    const retry = () => topicsOf(region).forEach((topic) => staleTopics.add(topic));
    let response;
    try {
      response = await get(url, { "HX-Request": "true", "HX-Current-URL": location.href });
    } catch (error) {
      return retry();
    }
    // Signed out, or the record is gone: the next click shows why.
    if (!response.ok || response.status !== 200 || response.headers.get("HX-Redirect")) return;
    const html = await response.text();
    if (generation !== started || inFlight.size) return retry();
    if (!document.body.contains(region) || region.getAttribute("hx-get") !== url) return;
    const select = region.getAttribute("hx-select");
    const open = openSections(region);
    htmx.swap(region, html, { swapStyle: "outerHTML" }, select ? { select: select } : {});
    reopen(open);
  }

  function reloadStaleRegions() {
    if (!staleTopics.size || inFlight.size) return;
    const topics = new Set(staleTopics);
    staleTopics.clear();
    const started = generation;
    for (const region of document.querySelectorAll("[data-live][hx-get]")) {
      if (topicsOf(region).some((topic) => topics.has(topic))) reload(region, started);
    }
  }

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

  async function poll() {
    const response = await get(meta.dataset.url, {
      "X-Live-Pass": meta.dataset.pass,
      "If-None-Match": etag,
    });
    if (response.status === 304) return;
    // The pass no longer fits the session (signed out): stop asking.
    if (response.status === 403) {
      stopped = true;
      return;
    }
    if (!response.ok) return;
    const fresh = await response.json();
    etag = response.headers.get("ETag") || etag;
    const moved = new Set(Object.keys(fresh).filter((topic) => fresh[topic] !== counters[topic]));
    counters = fresh;
    moved.forEach((topic) => staleTopics.add(topic));
    reloadStaleRegions();
    checkRecords(moved);
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
    if (document.visibilityState === "visible" && !stopped) poll().catch(() => {});
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-live-reload]");
    const marker = button && button.closest("[data-live-reload-url]");
    if (!marker) return;
    event.preventDefault();
    htmx.ajax("GET", marker.dataset.liveReloadUrl, { target: "#modal-content" });
  });

  window.setTimeout(tick, interval);
})();
