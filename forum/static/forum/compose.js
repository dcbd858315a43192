/* Writing: drafts kept in the browser at once and on the server every few seconds,
   offered again after a reload or a dropped connection; a Markdown toolbar; a preview
   rendered by the server exactly as it will be stored; @mention suggestions among the
   members who may see the thread; a length counter with the server's limit.
   Without JavaScript the form posts as it is and the server answers every limit. */
(function () {
  "use strict";
  var SAVE_EVERY = 3000;

  function token(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function post(url, form, fields) {
    var body = new FormData();
    body.set("csrfmiddlewaretoken", token(form));
    Object.keys(fields).forEach(function (k) { body.set(k, fields[k]); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin" });
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  function setUp(form) {
    var box = form.querySelector("textarea");
    if (!box) return;
    var t = form.dataset;
    var strings = document.getElementById("compose-strings");
    var say = function (key, fallback) { return (strings && strings.dataset[key]) || fallback; };

    // --- Length: the server's limit, announced before sending (never cut silently).
    var max = +(box.dataset.max || box.getAttribute("maxlength") || 0);
    box.removeAttribute("maxlength");
    var counter = el("p", "counter meta");
    counter.setAttribute("aria-live", "polite");
    box.parentNode.insertBefore(counter, box.nextSibling);
    function count() {
      var n = box.value.length;
      counter.textContent = "";
      if (!max) return;
      var figures = el("bdi", null, n.toLocaleString() + " / " + max.toLocaleString());
      figures.dir = "ltr"; // "1,234 / 50,000" reads the same way in Arabic
      counter.appendChild(figures);
      counter.classList.toggle("over", n > max);
      if (n > max) counter.appendChild(document.createTextNode(" — " + say("tOver", "too long: shorten it before sending")));
    }

    // --- Toolbar: Markdown around the selection.
    var bar = el("div", "toolbar");
    bar.setAttribute("role", "toolbar");
    [["bold", "**", "**", "B"], ["italic", "_", "_", "I"], ["link", "[", "](https://)", "↗"],
     ["list", "\n- ", "", "•"], ["quote", "\n> ", "", "❝"], ["code", "`", "`", "</>"]].forEach(function (b) {
      var button = el("button", "tool tool-" + b[0], b[3]);
      button.type = "button";
      button.title = say("t" + b[0][0].toUpperCase() + b[0].slice(1), b[0]);
      button.setAttribute("aria-label", button.title);
      button.addEventListener("click", function () {
        var start = box.selectionStart, end = box.selectionEnd, text = box.value;
        var chosen = text.slice(start, end);
        box.value = text.slice(0, start) + b[1] + chosen + b[2] + text.slice(end);
        box.focus();
        box.setSelectionRange(start + b[1].length, start + b[1].length + chosen.length);
        box.dispatchEvent(new Event("input"));
      });
      bar.appendChild(button);
    });
    var previewButton = el("button", "tool tool-preview secondary", say("tPreview", "Preview"));
    previewButton.type = "button";
    bar.appendChild(previewButton);
    box.parentNode.insertBefore(bar, box);

    // --- Preview: the server renders it through render_markdown, as it will be stored.
    var pane = el("div", "preview panel");
    pane.hidden = true;
    pane.setAttribute("aria-live", "polite");
    counter.parentNode.insertBefore(pane, counter.nextSibling);
    previewButton.addEventListener("click", function () {
      if (!pane.hidden) { pane.hidden = true; previewButton.setAttribute("aria-pressed", "false"); return; }
      var fields = { body: box.value };
      if (t.thread) fields.thread = t.thread;
      post(t.preview || "/preview/", form, fields).then(function (r) {
        return r.text().then(function (text) { return { ok: r.ok, text: text }; });
      }).then(function (answer) {
        if (answer.ok) pane.innerHTML = answer.text; // rendered and sanitized by the server
        else pane.textContent = answer.text;
        pane.hidden = false;
        previewButton.setAttribute("aria-pressed", "true");
      }, function () {});
    });

    // --- Drafts: local at once, the server every few seconds while typing.
    var url = t.draft, local = url ? "draft:" + url : null, timer = null, savedBody = null;
    function readLocal() {
      try { return JSON.parse(localStorage.getItem(local) || "null"); } catch (e) { return null; }
    }
    function writeLocal(value) {
      try {
        if (value) localStorage.setItem(local, JSON.stringify(value));
        else localStorage.removeItem(local);
      } catch (e) { /* private mode or full: the server copy still works */ }
    }
    function saveServer() {
      timer = null;
      var body = box.value;
      if (body === savedBody) return;
      post(url, form, { body: body }).then(function (r) { if (r.ok) savedBody = body; }, function () {
        timer = setTimeout(saveServer, SAVE_EVERY * 3); // offline: try again later
      });
    }
    var offer = null;
    function offerDraft(body) {
      if (!body || box.value.trim()) return;
      box.value = body;
      savedBody = body;
      offer = el("p", "draft-offer meta", say("tRestored", "Your unsent draft was restored.") + " ");
      var discard = el("button", "link", say("tDiscard", "Discard it"));
      discard.type = "button";
      discard.addEventListener("click", function () {
        box.value = "";
        writeLocal(null);
        post(url, form, { body: "" });
        savedBody = "";
        offer.remove();
        count();
      });
      offer.appendChild(discard);
      bar.parentNode.insertBefore(offer, bar);
      count();
    }
    if (url) {
      var mine = readLocal();
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (server) {
          if (mine && mine.sent) {
            // Sent from here: the server forgets a draft once its post is stored. If it
            // still has this text, the send never arrived.
            if (!server || server.body !== mine.body) { writeLocal(null); mine = null; }
            else mine.sent = false;
          }
          var serverAt = server && server.updated_at ? Date.parse(server.updated_at) : 0;
          if (mine && mine.body && (!server || !server.body || mine.at >= serverAt)) offerDraft(mine.body);
          else if (server && server.body) offerDraft(server.body);
        }, function () { if (mine && !mine.sent) offerDraft(mine.body); });
      box.addEventListener("input", function () {
        writeLocal(box.value ? { body: box.value, at: Date.now() } : null);
        if (!timer) timer = setTimeout(saveServer, SAVE_EVERY);
        if (offer && box.value !== savedBody) { offer.remove(); offer = null; }
      });
      form.addEventListener("submit", function () {
        clearTimeout(timer);
        timer = null;
        var sent = box.value;
        writeLocal(sent ? { body: sent, at: Date.now(), sent: true } : null);
        if (form.dataset.discardOnSubmit) {
          // Chat sends over the socket and stays on the page.
          writeLocal(null);
          post(url, form, { body: "" });
          savedBody = "";
        }
      });
      window.addEventListener("pagehide", function () {
        if (timer && navigator.sendBeacon) {
          var body = new FormData();
          body.set("csrfmiddlewaretoken", token(form));
          body.set("body", box.value);
          navigator.sendBeacon(url, body);
        }
      });
    }

    // --- @mentions among the members who may see the thread. A thread still being
    // written asks with the audience chosen so far (data-mentions-audience).
    var list = null, found = [], chosen = 0, asked = "";
    function mentionsUrl(q) {
      var params = new URLSearchParams({ q: q });
      if (t.mentionsAudience) {
        var fields = new FormData(form);
        params.set("audience", fields.get("audience") || "");
        fields.getAll("countries").forEach(function (code) { params.append("countries", code); });
      }
      return t.mentions + "?" + params.toString();
    }
    function closeList() { if (list) { list.remove(); list = null; } box.removeAttribute("aria-activedescendant"); }
    function pick(member) {
      var before = box.value.slice(0, box.selectionStart), after = box.value.slice(box.selectionStart);
      before = before.replace(/@[\w-]*$/, "@" + member.handle + " ");
      box.value = before + after;
      box.setSelectionRange(before.length, before.length);
      closeList();
      box.dispatchEvent(new Event("input"));
    }
    function drawList() {
      closeList();
      if (!found.length) return;
      list = el("ul", "mention-list");
      list.setAttribute("role", "listbox");
      found.forEach(function (m, i) {
        var item = el("li", i === chosen ? "chosen" : "");
        item.id = "mention-" + i;
        item.setAttribute("role", "option");
        item.appendChild(el("bdi", null, m.name));
        item.appendChild(document.createTextNode(" @" + m.handle));
        item.addEventListener("mousedown", function (e) { e.preventDefault(); pick(m); });
        list.appendChild(item);
      });
      box.setAttribute("aria-activedescendant", "mention-" + chosen);
      box.parentNode.insertBefore(list, box.nextSibling);
    }
    if (t.mentions) {
      box.setAttribute("aria-autocomplete", "list");
      box.addEventListener("input", function () {
        var match = /(^|\s)@([\w-]{1,40})$/.exec(box.value.slice(0, box.selectionStart));
        if (!match) { found = []; closeList(); return; }
        var q = match[2];
        if (q === asked) return;
        asked = q;
        fetch(mentionsUrl(q), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { members: [] }; })
          .then(function (data) { if (asked === q) { found = data.members; chosen = 0; drawList(); } }, function () {});
      });
      box.addEventListener("keydown", function (e) {
        if (!list) return;
        if (e.key === "ArrowDown" || e.key === "ArrowUp") {
          chosen = (chosen + (e.key === "ArrowDown" ? 1 : found.length - 1)) % found.length;
          drawList();
          e.preventDefault();
        } else if (e.key === "Enter" || e.key === "Tab") { pick(found[chosen]); e.preventDefault(); }
        else if (e.key === "Escape") { closeList(); found = []; }
      });
      // Closed a moment after leaving the box (a click on a suggestion lands first),
      // unless the member is back in it by then.
      var leaving = null;
      box.addEventListener("blur", function () { leaving = setTimeout(closeList, 150); });
      box.addEventListener("focus", function () { clearTimeout(leaving); });
      // Another audience, other candidates: ask again at the next keystroke.
      form.addEventListener("change", function (e) {
        if (e.target.name === "audience" || e.target.name === "countries") { asked = ""; found = []; closeList(); }
      });
    }

    box.addEventListener("input", count);
    count();
  }

  Array.prototype.forEach.call(document.querySelectorAll("form.composer"), setUp);
})();
