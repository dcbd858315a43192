/* The meeting chat over /ws/meetings/<id>/ (docs/protocol.md), in the manner of live.js.
   Without JavaScript the page posts messages over HTTP and shows them on reload. */
(function () {
  "use strict";
  var root = document.querySelector("section.chat[data-meeting]");
  if (!root || !("WebSocket" in window)) return;
  var d = root.dataset;
  var meeting = +d.meeting, me = +d.me, seq = +d.seq || 0, backoff = 1000, ws = null;
  var lang = document.documentElement.lang, tz = d.tz || undefined;
  var log = document.getElementById("chat-log");
  var state = document.getElementById("live-state");
  var status = document.getElementById("chat-status");
  var presence = document.getElementById("live-presence");
  var badge = document.getElementById("meeting-state");
  var form = root.querySelector("form.chat-form");
  var box = form && form.querySelector("textarea[name=body]");
  // Sends not yet acknowledged, by client_id, in the order they were written.
  var pending = {}, order = [];

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }
  function clock(iso) {
    try { return new Date(iso).toLocaleTimeString(lang, { timeZone: tz, hour: "2-digit", minute: "2-digit" }); }
    catch (e) { return new Date(iso).toLocaleTimeString(); }
  }
  function flag(code) {
    return code.toUpperCase().replace(/./g, function (c) { return String.fromCodePoint(127397 + c.charCodeAt(0)); });
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function setState(name) {
    if (!state) return;
    state.dataset.state = name;
    state.textContent = name === "live" ? "" : (d["t" + name[0].toUpperCase() + name.slice(1)] || name);
  }
  function say(text) { if (status) status.textContent = text || ""; }
  function atBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 40; }

  function messageNode(m, sending) {
    var node = el("li", "chat-message" + (sending ? " sending" : ""));
    if (m.id) node.dataset.id = m.id;
    if (m.client_id) node.dataset.clientId = m.client_id;
    // Initials on the member's colour, as {% avatar %} draws them (forum/templatetags).
    var words = (m.author.name || "?").split(/\s+/).filter(Boolean);
    var letters = words.length ? words[0][0] + (words.length > 1 ? words[words.length - 1][0] : "") : "?";
    var face = el("span", "avatar c" + (m.author.id % 12), letters.toUpperCase());
    face.setAttribute("aria-hidden", "true");
    node.appendChild(face);
    var who = el("span", "who");
    who.appendChild(el("bdi", null, m.author.name)); // a name keeps its own direction
    who.appendChild(document.createTextNode(" " + flag(m.author.country)));
    node.appendChild(who);
    node.appendChild(document.createTextNode(" "));
    var time = el("time", "when", clock(m.created_at));
    time.dateTime = m.created_at;
    time.title = new Date(m.created_at).toLocaleString(lang, { timeZone: tz, dateStyle: "long", timeStyle: "short" });
    var isolate = el("bdi");
    isolate.appendChild(time);
    node.appendChild(isolate);
    var body = el("div", "body");
    body.dir = "auto";
    if (sending) body.textContent = m.body; // our own text, shown as typed until the server's copy
    else body.innerHTML = m.html; // sanitized by the server when the message was stored
    node.appendChild(body);
    if (sending) node.appendChild(el("span", "note", d.tSending || "sending…"));
    else if (m.id && d.reactUrl) {
      var reactions = el("span", "reactions");
      reactions.dataset.action = d.reactUrl.replace("2147483647", m.id);
      var add = el("a", "react-add", "☺+");
      add.href = reactions.dataset.action;
      add.title = d.tReact || "React";
      add.setAttribute("aria-label", add.title);
      reactions.appendChild(add);
      node.appendChild(reactions);
    }
    return node;
  }
  function append(node) {
    var stick = atBottom();
    log.appendChild(node);
    if (stick) log.scrollTop = log.scrollHeight;
  }

  // A message that arrives shows at once from its frame. One that came with files is
  // then fetched as the server renders it for this reader (GET .../chat/<id>/fragment/),
  // the page's own partial, so its files show as on the page. Only those: a request per
  // reader per message would grow with the room.
  function fragment(id) {
    return window.forumElement(d.fragment.replace("2147483647", id));
  }
  function render(id) {
    fragment(id).then(function (node) {
      var old = log.querySelector('li[data-id="' + id + '"]');
      if (!node || !old) return; // removed meanwhile
      var stick = atBottom();
      old.replaceWith(node);
      if (stick) log.scrollTop = log.scrollHeight;
      document.dispatchEvent(new CustomEvent("forum:post", { detail: node }));
    }, function () {});
  }

  function onMessage(m, s) {
    if (m.removed) return;
    if (log.querySelector('[data-id="' + m.id + '"]')) return;
    var node = messageNode(m, false);
    node.dataset.seq = s;
    // Our own message may already show (sending, or acknowledged): replace that copy.
    var mine = m.author.id === me && m.client_id;
    var old = mine ? log.querySelector('li[data-client-id="' + CSS.escape(m.client_id) + '"]') : null;
    if (mine) forget(m.client_id);
    if (old) old.replaceWith(node); else append(node);
    if (d.fragment && m.files) render(m.id);
  }
  function onAck(a) {
    var node = log.querySelector('li[data-client-id="' + CSS.escape(a.client_id) + '"]');
    forget(a.client_id);
    if (node) { node.classList.remove("sending", "failed"); node.dataset.seq = a.seq; var n = node.querySelector(".note"); if (n) n.remove(); }
  }
  function forget(id) {
    delete pending[id];
    order = order.filter(function (x) { return x !== id; });
  }
  function onRemoved(r) {
    var node = log.querySelector('[data-id="' + r.id + '"]');
    if (node) node.remove();
  }
  function onMeeting(m) {
    if (badge) {
      badge.dataset.state = m.state;
      badge.className = "badge state-" + m.state;
      badge.textContent = d["t" + m.state[0].toUpperCase() + m.state.slice(1)] || m.state;
    }
    if (form) form.hidden = !m.chat_open;
    say(m.chat_open ? "" : (d.tChatClosed || "The chat is closed."));
  }
  function onError(e) {
    if (!e.client_id || !pending[e.client_id]) {
      say(e.message);
      // A frame dropped before the server read it: send what is still pending again.
      if (e.code === "rate_limited" && !e.client_id) setTimeout(function () { if (ws && ws.readyState === 1) flush(); }, 2000);
      return;
    }
    var node = log.querySelector('li[data-client-id="' + CSS.escape(e.client_id) + '"]');
    // Refused for good: give the text back to the box so nothing typed is lost.
    if (box && !box.value) box.value = pending[e.client_id];
    forget(e.client_id);
    if (node) node.remove();
    say(e.message);
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

  function handle(f) {
    if (f.type === "hello") { if (f.data) onMeeting(f.data); return; }
    if (f.type === "resync") { location.reload(); return; }
    if (f.type === "chat.ack") { onAck(f); return; }
    if (f.type === "error") { onError(f); return; }
    if (f.type === "presence") { onPresence(f.data); return; }
    if (typeof f.seq === "number") { if (f.seq <= seq) return; seq = f.seq; }
    switch (f.type) {
      case "chat.message": onMessage(f.data, f.seq); break;
      case "chat.removed": onRemoved(f.data); break;
      case "chat.reactions":
        if (window.forumReactions) window.forumReactions.update('.chat-message[data-id="' + f.data.id + '"] .reactions', f.data);
        break;
      case "chat.muted": if (f.data.member === me && f.data.muted) say(d.tMuted); break;
      case "meeting.started": case "meeting.ended": case "meeting.chat": onMeeting(f.data); break;
    }
  }

  function flush() {
    order.forEach(function (id) {
      ws.send(JSON.stringify({ type: "chat.send", client_id: id, body: pending[id] }));
    });
  }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + "/ws/meetings/" + meeting + "/");
    ws.onopen = function () {
      backoff = 1000;
      setState("live");
      ws.send(JSON.stringify({ type: "resume", after: seq }));
      flush(); // resends keep their client_id: the server stores each once
    };
    ws.onmessage = function (e) { try { handle(JSON.parse(e.data)); } catch (err) { /* ignore one bad frame */ } };
    ws.onclose = function (e) {
      if (e.code === 4401 || e.code === 4403 || e.code === 4404) { setState("closed"); return; }
      setState("reconnecting");
      setTimeout(connect, backoff + Math.random() * 500);
      backoff = Math.min(backoff * 2, 30000);
    };
  }

  if (form && box) {
    form.addEventListener("submit", function (event) {
      // A message with files goes with the form (attachments.js uploaded them already).
      if (form.querySelector("input[name=attachment]") || form.dataset.uploading) return;
      event.preventDefault();
      var body = box.value.trim();
      if (!body) return;
      var id = newId();
      pending[id] = body;
      order.push(id);
      var author = { id: me, name: d.myName || "", country: d.myCountry || "" };
      append(messageNode({ client_id: id, body: body, author: author, created_at: new Date().toISOString() }, true));
      box.value = "";
      if (ws && ws.readyState === 1) ws.send(JSON.stringify({ type: "chat.send", client_id: id, body: body }));
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); form.requestSubmit(); }
    });
  }
  // For diagnostics (and tests): where the room is, and a way to drop the connection.
  window.forumLive = {
    get seq() { return seq; },
    get state() { return state ? state.dataset.state : ""; },
    get pending() { return order.length; },
    drop: function () { if (ws) ws.close(4000, "dropped"); }
  };
  connect();
})();
