/* The service worker (served at /sw.js behind a generated first part: VERSION, SHELL,
 * OFFLINE_URL, SESSION_URL).
 *
 * - The app shell (content-hashed CSS, JS, icons, the offline page, the manifest) is
 *   cached at install under "shell-<VERSION>"; an older shell is deleted when a new
 *   version takes over (offline, a page kept with the older one gets this version's file
 *   of the same path). Queued changes live in IndexedDB, which no update touches.
 * - Pages (and an inspection's JSON, and photo thumbnails) are fetched from the network
 *   first and kept in "pages-v1"; without a network (or after 8 s of a hanging one) the
 *   kept copy is shown, else the offline page, never the browser's own error page.
 * - A page of an inspection asks (postMessage "prefetch") for all the inspection's
 *   sections, review and overview to be kept, with the thumbnails they show.
 */
"use strict";

var SHELL_CACHE = "shell-" + VERSION;
var PAGES_CACHE = "pages-v1";
var NETWORK_TIMEOUT = 8000;
var PREFETCH_EVERY = 5 * 60 * 1000;
var lastPrefetch = {};

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    return cache.addAll(SHELL);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) {
      return key.indexOf("shell-") === 0 && key !== SHELL_CACHE;
    }).map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

function sameOrigin(url) { return url.origin === self.location.origin; }

function isThumb(url) { return /\/photos\/[^/]+$/.test(url.pathname) && url.searchParams.get("variant") === "thumb"; }

function keep(request, response) {
  // Only whole, successful, same-origin answers; never a redirect to the login page.
  if (!response || response.status !== 200 || response.type !== "basic" || response.redirected) return;
  var copy = response.clone();
  caches.open(PAGES_CACHE).then(function (cache) { cache.put(request, copy); });
}

function fromCache(request) {
  return caches.match(request, { ignoreVary: true });
}

function networkFirst(request, fallbackToOfflinePage) {
  return new Promise(function (resolve) {
    var settled = false;
    var fallback = function () {
      if (settled) return;
      settled = true;
      fromCache(request).then(function (hit) {
        if (hit) return resolve(hit);
        if (fallbackToOfflinePage) {
          return caches.match(OFFLINE_URL).then(function (page) {
            resolve(page || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } }));
          });
        }
        resolve(new Response(JSON.stringify({ error: "offline" }), { status: 503, headers: { "Content-Type": "application/json" } }));
      });
    };
    var timer = setTimeout(fallback, NETWORK_TIMEOUT);
    fetch(request).then(function (response) {
      clearTimeout(timer);
      keep(request, response);
      if (!settled) { settled = true; resolve(response); }
    }, function () { clearTimeout(timer); fallback(); });
  });
}

function cacheFirst(request, cacheName) {
  return caches.match(request, { ignoreVary: true }).then(function (hit) {
    if (hit) return hit;
    return fetch(request).then(function (response) {
      if (response.status === 200) {
        var copy = response.clone();
        caches.open(cacheName).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }, function (error) {
      // Offline, asked by a page kept with an older version (?v=<its hash>) whose shell
      // a new version deleted: this version's file of the same path, as the server
      // would send it online, rather than a page without its field app.
      if (cacheName !== SHELL_CACHE) throw error;
      return caches.open(SHELL_CACHE).then(function (cache) {
        return cache.match(request, { ignoreSearch: true, ignoreVary: true });
      }).then(function (same) { if (same) return same; throw error; });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (!sameOrigin(url)) return;
  if (url.pathname === SESSION_URL || /\/sw\.js$/.test(url.pathname)) return;  // always live
  if (/\/inspections\/[^/]+\/changes$/.test(url.pathname)) return;  // a team mate's answers: live, never kept
  if (url.pathname.indexOf("/static/") >= 0) {
    event.respondWith(cacheFirst(request, SHELL_CACHE));
  } else if (isThumb(url)) {
    event.respondWith(cacheFirst(request, PAGES_CACHE));
  } else if (request.mode === "navigate" || (request.headers.get("Accept") || "").indexOf("text/html") >= 0) {
    event.respondWith(networkFirst(request, true));
  } else if (url.pathname.indexOf("/api/") >= 0) {
    event.respondWith(networkFirst(request, false));
  }
});

/* Keep every page of an inspection (and the thumbnails they show). */
function prefetch(urls) {
  return caches.open(PAGES_CACHE).then(function (cache) {
    return Promise.all(urls.map(function (path) {
      var request = new Request(path, { credentials: "same-origin", headers: { "Accept": path.indexOf("/api/") >= 0 ? "application/json" : "text/html" } });
      return fetch(request).then(function (response) {
        if (response.status !== 200 || response.redirected) return;
        var copy = response.clone();
        return cache.put(request, copy).then(function () {
          if ((response.headers.get("Content-Type") || "").indexOf("text/html") < 0) return;
          return response.text().then(function (html) {
            var thumbs = {};
            html.replace(/src="([^"]+\?variant=thumb)"/g, function (_m, src) { thumbs[src.replace(/&amp;/g, "&")] = 1; });
            return Promise.all(Object.keys(thumbs).map(function (src) {
              return cache.match(src).then(function (hit) {
                if (hit) return;
                return fetch(src, { credentials: "same-origin" }).then(function (r) { if (r.status === 200) return cache.put(src, r); });
              });
            }));
          });
        });
      }).catch(function () { /* offline meanwhile: kept what we had */ });
    }));
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "prefetch" || !Array.isArray(data.urls)) return;
  var key = data.user + "\u0001" + data.inspection;
  if (!data.force && lastPrefetch[key] && Date.now() - lastPrefetch[key] < PREFETCH_EVERY) return;
  if (!data.partial) lastPrefetch[key] = Date.now();  // a few pages kept again: not the pack
  var urls = data.urls.filter(function (u) { try { return sameOrigin(new URL(u, self.location.href)); } catch (e) { return false; } });
  event.waitUntil(prefetch(urls).then(function () {
    if (event.source) event.source.postMessage({ type: "prefetched", inspection: data.inspection, count: urls.length });
  }));
});
