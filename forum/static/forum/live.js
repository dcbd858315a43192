/* Live updates for group and thread pages over /ws/groups/<slug>/.
   Protocol: docs/protocol.md. Without JavaScript the pages work as they are. */
(function () {
  "use strict";
  var root = document.querySelector("[data-live-group]");
  if (!root || !("WebSocket" in window)) return;
  var d = root.dataset;
  var group = d.liveGroup, thread = +d.thread || 0, me = +d.me, view = d.view || "tree";
  var seq = +d.seq || 0, backoff = 1000, ws = null, unseen = 0, lastTyping = 0;
  var lang = document.documentElement.lang, tz = d.tz || undefined;
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
  function when(iso) {
    try { return new Date(iso).toLocaleString(lang, { timeZone: tz, dateStyle: "short", timeStyle: "short" }); }
    catch (e) { return new Date(iso).toLocaleString(); }
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

  function postNode(p) {
    var node = el("article", "post d" + (view === "tree" ? p.depth : 0) + (p.status !== "published" ? " " + p.status : ""));
    node.id = "p" + p.number;
    node.dataset.post = p.id;
    node.dataset.path = p.path;
    var head = el("header");
    var author = el("a", null, p.author.name);
    if (p.status === "pending") head.appendChild(el("strong", "status-label", (d.tPending || "waiting for review") + " · "));
    author.href = "/members/" + encodeURIComponent(p.author.handle) + "/";
    head.appendChild(author);
    head.appendChild(document.createTextNode(" " + flag(p.author.country) + " · "));
    var time = el("time", null, when(p.created_at));
    time.dateTime = p.created_at;
    head.appendChild(time);
    var body = el("div", "body");
    body.innerHTML = p.html; // sanitized by the server when the post was written
    var foot = el("footer");
    if (d.canReply) {
      var reply = el("a", null, d.tReply || "Reply");
      reply.href = "/p/" + p.id + "/reply/";
      foot.appendChild(reply);
    }
    node.appendChild(head); node.appendChild(body); node.appendChild(foot);
    return node;
  }

  function onPost(p) {
    if (!posts || p.thread !== thread) { unseen += 1; showBanner(); return; }
    var existing = document.querySelector('[data-post="' + p.id + '"]');
    if (existing) {
      // A pending post the reader already sees (author, moderators) was approved.
      existing.classList.remove("pending", "rejected");
      var label = existing.querySelector(".status-label");
      if (label) label.remove();
      var text = existing.querySelector(".body");
      if (text) text.innerHTML = p.html;
      return;
    }
    var node = postNode(p), all = posts.querySelectorAll("article.post"), before = null;
    for (var i = 0; i < all.length; i++) {
      var key = view === "tree" ? all[i].dataset.path : +all[i].id.slice(1);
      if ((view === "tree" ? key > p.path : key > p.number)) { before = all[i]; break; }
    }
    var last = !d.hasNext;
    if (before || last) { posts.insertBefore(node, before); node.classList.add("arrived"); }
    else { unseen += 1; showBanner(); }
  }
  function onEdited(p) {
    var node = document.querySelector('[data-post="' + p.id + '"] .body');
    if (node) node.innerHTML = p.html;
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
  function onThread(t, created) {
    if (thread) { if (created) { unseen += 1; showBanner(); } return; }
    if (!list) return;
    var row = list.querySelector('[data-thread="' + t.id + '"]');
    if (!row) {
      row = el("li", "thread-row unread");
      row.dataset.thread = t.id;
      var link = el("a", "title", t.title);
      link.href = t.url;
      row.appendChild(link);
      row.appendChild(el("div", "meta", t.author.name + " " + flag(t.author.country)));
    } else {
      if (t.group && t.group !== group) { row.remove(); return; }
      if (t.title) row.querySelector(".title").textContent = t.title;
      row.classList.add("unread");
    }
    var firstUnpinned = list.querySelector("li:not(.pinned)");
    if ("pinned" in t) row.classList.toggle("pinned", !!t.pinned);
    list.insertBefore(row, row.classList.contains("pinned") ? list.firstChild : firstUnpinned);
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
    var names = Object.keys(online).map(function (id) { return online[id]; })
      .sort(function (a, b) { return a.name.localeCompare(b.name, lang); })
      .map(function (m) { return m.name + " " + flag(m.country); });
    presence.textContent = names.length ? names.join(", ")
      : (data.count ? (d.tOnline || "%s online").replace("%s", data.count) : "");
  }
  var typingTimer = null;
  function onTyping(t) {
    if (!typing || t.thread !== thread) return;
    typing.textContent = (d.tTyping || "%s is typing…").replace("%s", t.member.name);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typing.textContent = ""; }, 5000);
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
