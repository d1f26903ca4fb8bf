// Baocao's service worker: the commune report form opens with no network.
//
// It keeps the app's shell (stylesheets, htmx, the outbox script) and the commune form pages
// this browser has opened, nothing else: no other page, no fragment, no API answer. Pages are
// asked of the network first, so online a clerk always gets a fresh form; the kept copy is
// shown only when the network fails. Signing out wipes it all (Clear-Site-Data). Reports filled
// offline are queued by /static/outbox.js, not here: a POST is never touched by this worker.
"use strict";

const VERSION = "2";
const SHELL = "baocao-shell-" + VERSION;
const PAGES = "baocao-pages-" + VERSION;
const SHELL_FILES = [
  "/static/app.css",
  "/static/commune.css",
  "/static/outbox.js",
  "/static/vendor/htmx-2.0.11.min.js",
  "/static/vendor/htmx-ext-sse-2.2.4.min.js",
];
// A commune's form: /communes/<unit>/<report type>/<period> (not its history, not a receipt).
const FORM_PAGE = /^\/communes\/[0-9]{5}\/(?!history$)[a-z0-9-]+\/[0-9A-Za-z-]+$/;
// Where a commune lands (/, /communes/<unit>): offline, the form it last opened.
const LANDING = /^\/(communes\/[0-9]{5})?$/;
// On a slow link, the kept copy is shown after this long; the fresh page still replaces it
// in the cache when it arrives.
const NETWORK_PATIENCE_MS = 8000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES)));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(names.filter((n) => n !== SHELL && n !== PAGES).map((n) => caches.delete(n)))
      )
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(shellFile(request));
  } else if (request.mode === "navigate" && FORM_PAGE.test(url.pathname) && !url.search) {
    event.respondWith(formPage(request));
  } else if (request.mode === "navigate" && LANDING.test(url.pathname)) {
    event.respondWith(landing(request, url.pathname));
  }
  // Anything else goes to the network as if there were no worker.
});

async function shellFile(request) {
  const kept = await caches.match(request, { cacheName: SHELL, ignoreVary: true });
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) {
    const copy = response.clone();
    caches.open(SHELL).then((cache) => cache.put(request, copy));
  }
  return response;
}

async function formPage(request) {
  const fresh = fetch(request).then(async (response) => {
    // Only the page itself, as this person was shown it: no redirect to sign-in, no error.
    if (response.ok && response.type === "basic" && !response.redirected) {
      const cache = await caches.open(PAGES);
      await cache.delete(request.url); // re-added last: keys() lists the latest opened last
      await cache.put(request.url, response.clone());
    }
    return response;
  });
  const kept = await caches.match(request.url, { cacheName: PAGES, ignoreVary: true });
  if (!kept) return fresh.catch(() => offlinePage());
  const patience = new Promise((resolve) => setTimeout(() => resolve(kept), NETWORK_PATIENCE_MS));
  return Promise.race([fresh.catch(() => kept), patience]);
}

async function landing(request, path) {
  try {
    return await fetch(request);
  } catch (error) {
    const cache = await caches.open(PAGES);
    const prefix = self.location.origin + (path === "/" ? "/communes/" : path + "/");
    const forms = (await cache.keys()).map((r) => r.url).filter((u) => u.startsWith(prefix));
    if (forms.length) return Response.redirect(forms[forms.length - 1], 303);
    return offlinePage();
  }
}

function offlinePage() {
  const body =
    '<!doctype html><html lang="vi"><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<link rel="stylesheet" href="/static/app.css"><title>Không có mạng · No network</title>' +
    '<main id="main"><h1>Không có mạng</h1>' +
    "<p>Trang này chưa được mở trên máy này khi có mạng nên không xem được khi mất mạng." +
    " Hãy mở biểu mẫu báo cáo một lần khi có mạng.</p>" +
    '<p lang="en">No network, and this page was never opened on this device while online.' +
    " Open the report form once while online.</p></main></html>";
  return new Response(body, {
    status: 503,
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
  });
}
