/* Live updates for group and thread pages over /ws/groups/<slug>/.
   Protocol: docs/protocol.md. Without JavaScript the pages work as they are. */
(function () {
  "use strict";
  var root = document.querySelector("[data-live-group]");
  if (!root || !("WebSocket" in window)) return;
  var d = root.dataset;
  var group = d.liveGroup, thread = +d.thread || 0, me = +d.me, view = d.view || "tree";
  var seq = +d.seq || 0, backoff = 1000, ws = null, unseen = 0, lastTyping = 0;
  var lang = document.documentElement.lang;
  var state = document.getElementById("live-state");
  var banner = document.getElementById("live-banner");
  var presence = document.getElementById("live-presence");
  var typing = document.getElementById("live-typing");
  var posts = document.querySelector(".posts");
  var list = document.querySelector("ol.threads");
  var queue = document.getElementById("queue");

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }
  function flag(code) {
    return code.toUpperCase().replace(/./g, function (c) { return String.fromCodePoint(127397 + c.charCodeAt(0)); });
  }
  function setState(name) {
    if (!state) return;
    state.dataset.state = name;
    state.textContent = name === "live" ? "" : (d["t" + name[0].toUpperCase() + name.slice(1)] || name);
  }
  function showBanner() {
    if (!banner) return;
    banner.hidden = false;
    banner.textContent = (d.tNew || "%s new").replace("%s", unseen);
  }

  // A post that arrives is fetched as the server renders it for this reader
  // (GET /p/<id>/fragment/): the same partial as the page's, so it looks, links and
  // acts exactly like the posts that were there.
  function fragment(id) {
    return window.forumElement(
      d.fragment.replace("2147483647", id) + "?view=" + encodeURIComponent(view));
  }
  function clearTypingOf(authorId) {
    if (typing && typingFrom === authorId) { typing.textContent = ""; typingFrom = null; }
  }

  function onPost(p) {
    if (!posts || p.thread !== thread) { unseen += 1; showBanner(); return; }
    clearTypingOf(p.author && p.author.id);
    var existing = document.querySelector('[data-post="' + p.id + '"]');
    if (existing) {
      // A pending post the reader already sees (author, moderators) was approved.
      replacePost(p.id);
      return;
    }
    var all = posts.querySelectorAll("article.post"), before = null;
    for (var i = 0; i < all.length; i++) {
      var key = view === "tree" ? all[i].dataset.path : +all[i].id.slice(1);
      if ((view === "tree" ? key > p.path : key > p.number)) { before = all[i]; break; }
    }
    if (!before && d.hasNext) { unseen += 1; showBanner(); return; }
    // Hold the post's place now: fragments of several posts (a resume) may come back in
    // any order, and each must land where its number or path puts it.
    var slot = el("article", "post loading");
    slot.hidden = true;
    slot.dataset.post = p.id;
    slot.dataset.path = p.path;
    slot.id = "p" + p.number;
    posts.insertBefore(slot, before);
    fragment(p.id).then(function (node) {
      if (!node || !slot.parentNode) return;
      slot.replaceWith(node);
      node.classList.add("arrived");
      document.dispatchEvent(new CustomEvent("forum:post", { detail: node }));
    }, function () { slot.remove(); unseen += 1; showBanner(); });
  }
  function replacePost(id) {
    fragment(id).then(function (node) {
      var old = document.querySelector('[data-post="' + id + '"]');
      if (node && old) {
        if (old.classList.contains("loading")) node.classList.add("arrived");
        old.replaceWith(node);
        document.dispatchEvent(new CustomEvent("forum:post", { detail: node }));
      }
    }, function () {});
  }
  function onEdited(p) {
    if (document.querySelector('[data-post="' + p.id + '"]')) replacePost(p.id);
  }
  function onReactions(r) {
    if (window.forumReactions) window.forumReactions.update('[data-post="' + r.id + '"] .reactions', r);
  }
  function onRemoved(p) {
    var node = document.querySelector('[data-post="' + p.id + '"]');
    if (!node) return;
    node.classList.add("removed");
    var body = node.querySelector(".body");
    if (body) body.replaceWith(el("p", "removed-note", d.tRemoved || "Removed by a moderator."));
  }
  function onRejected(p) {
    if (p.edit) return; // the published text stays as it is
    var node = document.querySelector('[data-post="' + p.id + '"]');
    if (!node) return;
    node.classList.remove("pending");
    node.classList.add("rejected");
    var label = node.querySelector(".status-label");
    if (label) label.textContent = (d.tRejected || "rejected") + " · ";
  }
  var refreshing = false;
  function refreshQueue() {
    if (!queue || refreshing) return;
    refreshing = true;
    fetch(queue.dataset.queueUrl, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { queue.innerHTML = html; }) // rendered and sanitized by the server
      .catch(function () { unseen += 1; showBanner(); })
      .then(function () { refreshing = false; });
  }
  // A thread that starts or changes is fetched as the server renders its row for this
  // reader (GET /t/<id>/row/): the group page's own partial, so it looks, counts and
  // links exactly like the rows that were there.
  function threadRow(id) {
    return window.forumElement(d.threadRow.replace("2147483647", id));
  }
  function placeRow(row, pinned) {
    var empty = list.querySelector("li:not([data-thread])"); // "No threads yet."
    if (empty) empty.remove();
    var firstUnpinned = list.querySelector("li:not(.pinned)");
    list.insertBefore(row, pinned ? list.firstChild : firstUnpinned);
  }
  function onThread(t, created) {
    if (thread) { if (created) { unseen += 1; showBanner(); } return; }
    if (!list) return;
    var row = list.querySelector('[data-thread="' + t.id + '"]');
    if (row && t.group && t.group !== group) { row.remove(); return; }
    if (!row) {
      // Hold the row's place now: rows of several threads (a resume) may come back in
      // any order, and the newest activity must stay on top.
      row = el("li", "thread-row loading");
      row.hidden = true;
      row.dataset.thread = t.id;
    }
    var pinned = "pinned" in t ? !!t.pinned : row.classList.contains("pinned");
    placeRow(row, pinned);
    var asked = row.dataset.asked = (+row.dataset.asked || 0) + 1;
    threadRow(t.id).then(function (node) {
      if (!node || !row.parentNode || +row.dataset.asked !== asked) return;
      var loading = row.classList.contains("loading");
      row.replaceWith(node);
      if (loading) node.classList.add("arrived");
      // Pinned or not, as the server says.
      if (node.classList.contains("pinned") !== pinned) placeRow(node, !pinned);
      document.dispatchEvent(new CustomEvent("forum:row", { detail: node }));
    }, function (status) {
      // Not found: the reader may no longer see it (moved, audience changed) — drop it.
      if (+row.dataset.asked !== asked) return; // a later answer decides
      if (status === 404 || row.classList.contains("loading")) row.remove();
    });
  }
  function onMoved(t) {
    // The thread left this group: the page of it reloads (and says where it is, if the
    // member may follow it there); a list drops its row.
    if (thread === t.id) { location.reload(); return; }
    var row = list && list.querySelector('[data-thread="' + t.id + '"]');
    if (row) row.remove();
  }
  var online = {};
  function onPresence(data) {
    // A snapshot lists everyone, or past a few dozen only says how many (docs/protocol.md).
    if (data.online) { online = {}; data.online.forEach(function (m) { online[m.id] = m; }); }
    else if (!data.joined && !data.left) online = {};
    (data.joined || []).forEach(function (m) { online[m.id] = m; });
    (data.left || []).forEach(function (id) { delete online[id]; });
    if (!presence) return;
    if (presence.parentNode.hidden) presence.parentNode.hidden = false; // filled only by script
    var names = Object.keys(online).map(function (id) { return online[id]; })
      .sort(function (a, b) { return a.name.localeCompare(b.name, lang); })
      .map(function (m) { return m.name + " " + flag(m.country); });
    presence.textContent = names.length ? names.join(", ")
      : (data.count ? (d.tOnline || "%s online").replace("%s", data.count) : "");
  }
  var typingTimer = null, typingFrom = null;
  function onTyping(t) {
    if (!typing || t.thread !== thread) return;
    typingFrom = t.member.id;
    var parts = (d.tTyping || "%s is typing…").split("%s");
    typing.textContent = parts[0];
    typing.appendChild(el("bdi", null, t.member.name)); // a name keeps its own direction
    typing.appendChild(document.createTextNode(parts.slice(1).join("%s")));
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typing.textContent = ""; typingFrom = null; }, 5000);
  }

  function handle(f) {
    if (f.type === "hello") return;
    if (f.type === "resync") { seq = f.seq; location.reload(); return; }
    if (typeof f.seq === "number") { if (f.seq <= seq) return; seq = f.seq; }
    switch (f.type) {
      case "thread.created": onThread(f.data, true); if (f.data.post && thread === f.data.id) onPost(f.data.post); break;
      case "thread.updated": onThread(f.data, false); break;
      case "thread.moved": onMoved(f.data); break;
      case "post.pending":
        if (queue) { refreshQueue(); break; }
        if (f.data.edit) break; // readers keep the approved text until the edit is approved
        if (f.data.new_thread && f.data.new_thread.id !== thread) onThread(f.data.new_thread, true);
        onPost(f.data); break;
      case "post.created": case "post.restored": case "post.approved":
        if (queue) { refreshQueue(); break; }
        if (f.data.new_thread && f.data.new_thread.id !== thread) onThread(f.data.new_thread, true);
        onPost(f.data); if (!thread) onThread({ id: f.data.thread }, false); break;
      case "post.edited": if (queue) refreshQueue(); onEdited(f.data); break;
      case "post.removed": onRemoved(f.data); break;
      case "post.rejected": if (queue) { refreshQueue(); break; } onRejected(f.data); break;
      case "presence": onPresence(f.data); break;
      case "typing": onTyping(f.data); break;
      case "post.reactions": onReactions(f.data); break;
    }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + "/ws/groups/" + encodeURIComponent(group) + "/");
    ws.onopen = function () {
      backoff = 1000;
      setState("live");
      ws.send(JSON.stringify({ type: "resume", after: seq }));
    };
    ws.onmessage = function (e) { try { handle(JSON.parse(e.data)); } catch (err) { /* ignore one bad frame */ } };
    ws.onclose = function (e) {
      if (e.code === 4401 || e.code === 4403 || e.code === 4404) { setState("closed"); return; }
      setState("reconnecting");
      setTimeout(connect, backoff + Math.random() * 500);
      backoff = Math.min(backoff * 2, 30000);
    };
  }

  var box = document.querySelector(".reply-form textarea");
  if (box && thread) {
    box.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTyping > 3000 && ws && ws.readyState === 1) {
        lastTyping = now;
        ws.send(JSON.stringify({ type: "typing", thread: thread }));
      }
    });
  }
  // For diagnostics (and tests): where the page is, and a way to drop the connection.
  window.forumLive = {
    get seq() { return seq; },
    get state() { return state ? state.dataset.state : ""; },
    drop: function () { if (ws) ws.close(4000, "dropped"); }
  };
  connect();
})();
