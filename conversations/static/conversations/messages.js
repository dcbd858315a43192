/* Direct messages over /ws/inbox/ (docs/protocol.md): the header badge on every page,
   the conversation list and the open conversation live. Without JavaScript, or while the
   socket is down, the forms post over HTTP; a send made while offline waits here with its
   client_id and goes out when the socket is back (the server keeps one copy). */
(function () {
  "use strict";
  if (!("WebSocket" in window)) return;
  var badge = document.getElementById("messages-unread");
  var list = document.getElementById("conversation-list");
  var root = document.getElementById("dm");
  var d = root ? root.dataset : {};
  var conversation = root ? +d.conversation : null;
  var me = root ? +d.me : null;
  var log = document.getElementById("dm-log");
  var typingLine = document.getElementById("dm-typing");
  var stateLine = document.getElementById("dm-state");
  var form = document.getElementById("compose");
  var box = form && form.querySelector("textarea[name=body]");
  var idField = form && form.querySelector("input[name=client_id]");
  var quoteField = form && form.querySelector("input[name=quote]");
  // The page shows everything up to the inbox position it was rendered at: resume there.
  var holder = root || list;
  var seq = holder && holder.dataset.inboxSeq ? +holder.dataset.inboxSeq : null, ws = null, backoff = 1000, typingSent = 0, typingTimer = null;
  var pending = {}, order = [];

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }
  function setBadge(n) {
    if (!badge || n == null) return;
    badge.textContent = n;
    badge.hidden = !n;
  }
  // For tests and for anyone debugging a connection: the socket's state and what waits.
  var api = window.forumMessages = { state: "connecting", pending: 0, drop: function () { if (ws) ws.close(); } };
  function setState(text) { if (stateLine) stateLine.textContent = text || ""; }
  function countPending() { api.pending = order.length; }
  function send(frame) {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify(frame)); return true; }
    return false;
  }

  // --- the open conversation ------------------------------------------------------
  function findMessage(cseq) { return document.getElementById("m" + cseq); }
  function showMessage(m) {
    if (!log || m.conversation !== conversation) return;
    var empty = log.querySelector("li.empty");
    if (empty) empty.remove();
    var item = findMessage(m.conversation_seq);
    if (!item) {
      item = el("li", "dm-message" + (m.author.id === me ? " mine" : ""));
      item.id = "m" + m.conversation_seq;
      item.dataset.seq = m.conversation_seq;
      item.dataset.id = m.id;
      var meta = el("p", "meta");
      meta.appendChild(el("strong", null, m.author.name));
      meta.appendChild(document.createTextNode(" "));
      var when = el("time", null, new Date(m.created_at).toLocaleString(document.documentElement.lang));
      when.setAttribute("datetime", m.created_at);
      meta.appendChild(when);
      item.appendChild(meta);
      if (m.quote) {
        var q = el("blockquote", "quote");
        q.appendChild(el("strong", null, m.quote.author + ": "));
        q.appendChild(document.createTextNode(m.quote.preview || d.tDeleted));
        item.appendChild(q);
      }
      item.appendChild(el("div", "body"));
      // Keep seq order even when an older message arrives late (a replay after a drop).
      var after = null;
      Array.prototype.forEach.call(log.querySelectorAll("li.dm-message"), function (li) {
        if (+li.dataset.seq > m.conversation_seq && after === null) after = li;
      });
      log.insertBefore(item, after);
      window.scrollTo(0, document.body.scrollHeight);
    }
    setBody(item, m.deleted ? null : m.html);
    if (m.author.id !== me && document.visibilityState === "visible") {
      send({ type: "dm.read", conversation: conversation, seq: m.conversation_seq });
    }
  }
  function setBody(item, html) {
    var body = item.querySelector(".body");
    if (!body) { body = el("div", "body"); item.appendChild(body); }
    if (html === null) {
      item.classList.add("deleted");
      body.textContent = "";
      body.appendChild(el("em", null, d.tDeleted));
      var actions = item.querySelector(".actions");
      if (actions) actions.remove();
    } else {
      body.innerHTML = html; // sanitized by the server when the message was stored
    }
  }
  function seenBy(data) {
    if (!log || data.conversation !== conversation || data.member.id === me) return;
    Array.prototype.forEach.call(log.querySelectorAll(".seen-by"), function (n) { n.remove(); });
    var mine = log.querySelectorAll("li.dm-message.mine");
    var last = mine.length ? mine[mine.length - 1] : null;
    if (last && +last.dataset.seq <= data.read_seq) {
      last.appendChild(el("p", "seen-by", d.tSeen + " " + data.member.name));
    }
  }
  function typing(data) {
    if (!typingLine || data.conversation !== conversation) return;
    typingLine.textContent = data.member.name + " " + d.tTyping;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingLine.textContent = ""; }, 4000);
  }

  // --- the list --------------------------------------------------------------------
  function listMessage(m) {
    if (!list) return;
    var row = document.getElementById("c" + m.conversation);
    if (!row) { location.reload(); return; }
    var preview = row.querySelector(".preview");
    if (preview) preview.textContent = m.author.name + ": " + (m.deleted ? d.tDeleted || "" : m.preview);
    if (m.author.id !== me) row.classList.add("unread");
    list.insertBefore(row, list.firstChild);
  }

  // --- the socket ------------------------------------------------------------------
  function onFrame(f) {
    if (f.type === "hello") {
      setBadge(f.unread_conversations);
      send({ type: "resume", after: seq === null ? f.seq : seq });
      if (seq === null) seq = f.seq;
      order.forEach(function (id) { send(pending[id]); });
      setState(d.tLive);
      api.state = "live";
      return;
    }
    if (f.seq != null) seq = Math.max(seq || 0, f.seq);
    var data = f.data || {};
    if (data.unread_conversations != null) setBadge(data.unread_conversations);
    if (f.type === "dm.message") { showMessage(data); listMessage(data); }
    else if (f.type === "dm.edited" || f.type === "dm.deleted") {
      var item = data.conversation === conversation && findMessage(data.conversation_seq);
      if (item) setBody(item, f.type === "dm.deleted" ? null : data.html);
    }
    else if (f.type === "dm.read") seenBy(data);
    else if (f.type === "dm.typing") typing(data);
    else if (f.type === "dm.ack") {
      delete pending[f.client_id];
      order = order.filter(function (id) { return id !== f.client_id; });
      countPending();
    }
    else if (f.type === "resync" && root) location.reload();
    else if (f.type === "error" && f.client_id && pending[f.client_id]) {
      // Refused (blocked, too fast, too long): put the text back where it was typed.
      var frame = pending[f.client_id];
      delete pending[f.client_id];
      order = order.filter(function (id) { return id !== f.client_id; });
      countPending();
      if (box && !box.value) box.value = frame.body;
      showError(f.message);
    }
  }
  function showError(text) {
    if (!form) return;
    var box2 = form.querySelector(".errors.live") || el("div", "errors live");
    box2.setAttribute("role", "alert");
    box2.textContent = text;
    form.insertBefore(box2, form.firstChild);
  }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + "/ws/inbox/");
    ws.onmessage = function (e) { try { onFrame(JSON.parse(e.data)); } catch (err) { /* ignore */ } };
    ws.onopen = function () { backoff = 1000; };
    ws.onclose = function (e) {
      ws = null;
      if (e.code === 4401 || e.code === 4403) { api.state = "closed"; return; }
      api.state = "reconnecting";
      setState(d.tOffline);
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 15000);
    };
  }
  if (form && box) {
    form.addEventListener("submit", function (e) {
      // A message with files goes with the form (attachments.js uploaded them already).
      if (form.querySelector("input[name=attachment]") || form.dataset.uploading) return;
      var fileInput = form.querySelector("input[type=file]");
      if (fileInput && fileInput.files && fileInput.files.length) return;
      var body = box.value.trim();
      if (!body) return; // let the server say what is wrong
      e.preventDefault();
      var frame = { type: "dm.send", conversation: conversation, client_id: idField.value || newId(), body: body };
      if (quoteField && quoteField.value) frame.quote = +quoteField.value;
      pending[frame.client_id] = frame;
      order.push(frame.client_id);
      countPending();
      if (!send(frame)) setState(d.tOffline);
      box.value = "";
      idField.value = newId();
      var old = form.querySelector(".errors.live");
      if (old) old.remove();
    });
    box.addEventListener("input", function () {
      var now = Date.now();
      if (now - typingSent > 3000 && send({ type: "dm.typing", conversation: conversation })) typingSent = now;
    });
  }
  // Older messages on scroll: fetch the "load older" page and put its messages on top.
  var loading = false;
  window.addEventListener("scroll", function () {
    var more = document.getElementById("load-older");
    if (!log || !more || loading || window.scrollY > 50) return;
    loading = true;
    fetch(more.href, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var first = log.firstChild;
      Array.prototype.forEach.call(page.querySelectorAll("#dm-log > li.dm-message"), function (li) {
        if (!findMessage(li.dataset.seq)) log.insertBefore(document.importNode(li, true), first);
      });
      var next = page.getElementById("load-older");
      if (next) more.href = next.href; else more.parentNode.remove();
      loading = false;
    }).catch(function () { loading = false; });
  });
  connect();
})();
