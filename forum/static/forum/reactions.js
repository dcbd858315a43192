/* Reactions on posts and chat messages, in place: a tap gives or takes back an emoji,
   "☺+" opens the fixed set. Without JavaScript the same links lead to a page with the
   choice. The markup drawn here is templates/forum/_reactions.html's. */
(function () {
  "use strict";
  var holder = document.querySelector("[data-reactions]");
  if (!holder || !window.fetch) return;
  var choices = holder.dataset.reactions.split(" ").filter(Boolean);
  var me = +(holder.dataset.me || 0);

  function token() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function draw(node, reactions, mine) {
    var add = node.querySelector(".react-add"), action = node.dataset.action;
    Array.prototype.forEach.call(node.querySelectorAll(".reaction"), function (a) { a.remove(); });
    reactions.forEach(function (r) {
      var own = typeof r.mine === "boolean" ? r.mine : (r.ids || []).indexOf(mine) !== -1;
      var a = document.createElement("a");
      a.href = action;
      a.className = "reaction" + (own ? " mine" : "");
      a.dataset.emoji = r.emoji;
      a.title = Array.isArray(r.names) ? r.names.join(", ") : r.names;
      a.setAttribute("aria-pressed", own ? "true" : "false");
      a.appendChild(document.createTextNode(r.symbol + " "));
      var n = document.createElement("span");
      n.className = "n";
      n.textContent = String(r.count);
      a.appendChild(n);
      node.insertBefore(a, add);
    });
  }
  function react(node, emoji) {
    var body = new FormData();
    body.set("emoji", emoji);
    body.set("csrfmiddlewaretoken", token());
    fetch(node.dataset.action, {
      method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (data.reactions) draw(node, data.reactions, me);
    }, function () {});
  }
  function closePicker() {
    var open = document.querySelector(".reaction-picker");
    if (open) open.remove();
  }
  function openPicker(node) {
    closePicker();
    var picker = document.createElement("span");
    picker.className = "reaction-picker";
    picker.setAttribute("role", "group");
    for (var i = 0; i + 1 < choices.length; i += 2) {
      var b = document.createElement("button");
      b.type = "button";
      b.dataset.emoji = choices[i];
      b.textContent = choices[i + 1];
      picker.appendChild(b);
    }
    node.appendChild(picker);
    if (picker.firstChild) picker.firstChild.focus();
  }
  document.addEventListener("click", function (e) {
    var target = e.target.closest ? e.target.closest("a.reaction, a.react-add, .reaction-picker button") : null;
    var node = target && target.closest(".reactions");
    if (!node) { if (!(e.target.closest && e.target.closest(".reaction-picker"))) closePicker(); return; }
    e.preventDefault();
    if (target.classList.contains("react-add")) { openPicker(node); return; }
    react(node, target.dataset.emoji);
    closePicker();
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") closePicker(); });
  // Live pages call this with a `post.reactions` or `chat.reactions` event's data.
  window.forumReactions = {
    draw: draw,
    update: function (selector, data) {
      var node = document.querySelector(selector);
      if (node) draw(node, data.reactions, me);
    }
  };
})();
