/* Every page: relative times, the light/dark switch, the live inbox badge and the
   type-to-search country pickers. Each is an enhancement: without JavaScript the page
   shows full dates, follows the system's colours, counts on reload and keeps plain
   selects. */
(function () {
  "use strict";
  var html = document.documentElement, lang = html.lang || "en";

  // --- What the live scripts insert: an element as the server renders it for this
  // reader (a post's, a chat message's or a thread row's own partial), or a rejection
  // with the status (404 once it is out of reach). Called when a frame arrives, after
  // every deferred script has run.
  window.forumElement = function (url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) return Promise.reject(r.status);
      return r.text();
    }).then(function (text) {
      var holder = document.createElement("template");
      holder.innerHTML = text.trim(); // rendered and sanitized by the server
      return holder.content.firstElementChild;
    });
  };

  // --- Times: "3 minutes ago" for the last week, the full date stays in the tooltip.
  var relative = null;
  try { relative = new Intl.RelativeTimeFormat(lang, { numeric: "auto" }); } catch (e) { /* old browser */ }
  var STEPS = [[60, "second"], [3600, "minute"], [86400, "hour"], [604800, "day"]];
  function relativeText(date, now) {
    var seconds = (date - now) / 1000, away = Math.abs(seconds);
    if (away < 45) return relative.format(0, "second");
    for (var i = 1; i < STEPS.length; i++) {
      if (away < STEPS[i][0]) return relative.format(Math.round(seconds / STEPS[i - 1][0]), STEPS[i][1]);
    }
    return null;
  }
  function refreshTimes(root) {
    if (!relative) return;
    var now = Date.now();
    Array.prototype.forEach.call((root || document).querySelectorAll("time.when"), function (t) {
      if (!t.dataset.absolute) t.dataset.absolute = t.textContent;
      var text = relativeText(new Date(t.getAttribute("datetime")), now);
      t.textContent = text || t.dataset.absolute;
    });
  }
  refreshTimes();
  setInterval(refreshTimes, 30000);
  document.addEventListener("forum:post", function (e) { refreshTimes(e.detail); });
  document.addEventListener("forum:row", function (e) { refreshTimes(e.detail); });
  window.forumTimes = { refresh: refreshTimes };

  // --- Light or dark: the system's choice until the member picks one (a cookie, so the
  // server draws the page in it at once).
  var toggle = document.getElementById("theme-toggle");
  function effectiveTheme() {
    if (html.dataset.theme) return html.dataset.theme;
    return window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  function labelToggle() {
    var next = effectiveTheme() === "dark" ? "light" : "dark";
    toggle.textContent = toggle.dataset["t" + next[0].toUpperCase() + next.slice(1)];
    toggle.setAttribute("aria-pressed", effectiveTheme() === "dark" ? "true" : "false");
  }
  if (toggle) {
    toggle.hidden = false;
    labelToggle();
    toggle.addEventListener("click", function () {
      var next = effectiveTheme() === "dark" ? "light" : "dark";
      html.dataset.theme = next;
      document.cookie = "theme=" + next + "; path=/; max-age=31536000; SameSite=Lax";
      labelToggle();
    });
  }

  // --- The inbox badge (and the inbox list) live over /ws/inbox/ on every page.
  var inboxLink = document.querySelector("[data-inbox-live]");
  var badge = document.getElementById("inbox-unread");
  var inboxList = document.getElementById("inbox");
  function setUnread(n) {
    if (!badge || typeof n !== "number") return;
    badge.textContent = String(n);
    badge.hidden = n === 0;
  }
  var refreshingInbox = false;
  function refreshInboxList() {
    if (!inboxList || refreshingInbox) return;
    refreshingInbox = true;
    fetch(location.pathname + location.search, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html"); // rendered by the server
        var fresh = doc.getElementById("inbox");
        if (fresh) { inboxList.replaceWith(fresh); inboxList = fresh; refreshTimes(fresh); }
      }, function () {})
      .then(function () { refreshingInbox = false; });
  }
  if (inboxLink && "WebSocket" in window) {
    var seq = 0, backoff = 1000;
    var connectInbox = function () {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      var ws = new WebSocket(scheme + location.host + "/ws/inbox/");
      ws.onmessage = function (e) {
        var f;
        try { f = JSON.parse(e.data); } catch (err) { return; }
        if (f.type === "hello") {
          setUnread(f.unread);
          if (!seq) seq = f.seq; // first connection: from now on; later ones: what was missed
          ws.send(JSON.stringify({ type: "resume", after: seq }));
          backoff = 1000;
          return;
        }
        if (typeof f.seq === "number") { if (f.seq <= seq) return; seq = f.seq; }
        if (f.data && typeof f.data.unread === "number") setUnread(f.data.unread);
        if (f.type === "notification.created" || f.type === "notification.read") refreshInboxList();
      };
      ws.onclose = function (e) {
        if (e.code === 4401 || e.code === 4403) return;
        setTimeout(connectInbox, backoff + Math.random() * 500);
        backoff = Math.min(backoff * 2, 60000);
      };
    };
    connectInbox();
  }

  // --- Country pickers: type to narrow the list; a tap picks or unpicks (no Ctrl-click).
  Array.prototype.forEach.call(document.querySelectorAll("select.country-picker"), function (select) {
    var search = document.createElement("input");
    search.type = "search";
    search.className = "picker-search";
    search.setAttribute("aria-controls", select.id || "");
    search.setAttribute("aria-label", (select.labels && select.labels[0] ? select.labels[0].textContent : "") + " …");
    select.parentNode.insertBefore(search, select);
    var fold = function (s) { return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); };
    search.addEventListener("input", function () {
      var q = fold(search.value.trim());
      Array.prototype.forEach.call(select.options, function (o) {
        o.hidden = q !== "" && fold(o.textContent).indexOf(q) === -1 && o.value.toLowerCase() !== q;
      });
    });
    search.addEventListener("keydown", function (e) { if (e.key === "Enter") e.preventDefault(); });
    if (select.multiple) {
      var summary = document.createElement("p");
      summary.className = "picker-chosen meta";
      summary.setAttribute("aria-live", "polite");
      select.parentNode.insertBefore(summary, select.nextSibling);
      var show = function () {
        summary.textContent = Array.prototype.filter.call(select.options, function (o) { return o.selected; })
          .map(function (o) { return o.textContent; }).join(" · ");
      };
      select.addEventListener("mousedown", function (e) {
        if (e.target.tagName !== "OPTION") return;
        e.preventDefault();
        e.target.selected = !e.target.selected;
        select.focus();
        show();
      });
      select.addEventListener("change", show);
      show();
    }
  });
})();
