/* Live docking steps: follows the member's inbox socket (/ws/inbox/, docs/protocol.md)
   and, when a docking step or listing event arrives, reloads the parts of this page
   marked data-docking-live. Without JavaScript the pages work as they are. */
(function () {
  "use strict";
  var parts = document.querySelectorAll("[data-docking-live]");
  if (!parts.length || !("WebSocket" in window)) return;
  // Resume after the inbox position the page was rendered at: a step taken while the
  // page loaded, before the socket said hello, still refreshes it.
  var seq = parts[0].dataset.inboxSeq ? +parts[0].dataset.inboxSeq : null, backoff = 1000;
  // Read by tests and by anyone curious: "connecting", then "live".
  window.dockingLive = { state: "connecting", updates: 0 };

  // A part where the member has typed something is left as it is: replacing
  // it would lose their input (the next update, or their own submit, refreshes it).
  function edited(part) {
    var fields = part.querySelectorAll("textarea, input");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      var typed = f.tagName === "TEXTAREA" ||
        /^(text|search|email|url|tel|number|date|time|datetime-local)$/.test(f.type);
      if (typed && f.value !== f.defaultValue) return true;
    }
    return false;
  }

  // One reload at a time: an update that arrives meanwhile asks for one more once it
  // is done, so an older answer can never land after a newer one.
  var loading = false, again = false;
  function refresh() {
    if (loading) { again = true; return; }
    loading = true;
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelectorAll("[data-docking-live]");
        parts = document.querySelectorAll("[data-docking-live]");
        for (var i = 0; i < parts.length && i < fresh.length; i++) {
          if (!edited(parts[i])) parts[i].innerHTML = fresh[i].innerHTML;
        }
        window.dockingLive.updates += 1;
        document.dispatchEvent(new CustomEvent("docking:updated"));
      })
      .catch(function () {})
      .then(function () {
        loading = false;
        if (again) { again = false; refresh(); }
      });
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + "/ws/inbox/");
    ws.onmessage = function (m) {
      var frame;
      try { frame = JSON.parse(m.data); } catch (e) { return; }
      if (frame.type === "hello") {
        if (seq === null) seq = frame.seq;
        ws.send(JSON.stringify({ type: "resume", after: seq }));
        backoff = 1000;
        window.dockingLive.state = "live";
        return;
      }
      if (typeof frame.seq === "number") seq = Math.max(seq || 0, frame.seq);
      if (frame.type === "notification.created" && frame.data && frame.data.kind === "docking") {
        refresh();
      }
      if (frame.type === "resync" && typeof frame.seq === "number") seq = frame.seq;
    };
    ws.onclose = function () {
      window.dockingLive.state = "connecting";
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 30000);
    };
  }
  connect();
})();
