/* The thread page: keyboard shortcuts, and opening at the first unread post (without
   JavaScript the group list's links carry #new). */
(function () {
  "use strict";
  var posts = document.querySelector(".posts");
  if (!posts) return;
  // --- Keyboard: j/k next/previous post, r reply, q quote, ? help; never while typing.
  var current = -1;
  var help = document.getElementById("shortcuts");
  function articles() { return posts.querySelectorAll("article.post"); }
  function focusPost(i) {
    var all = articles();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, i));
    var node = all[current];
    node.tabIndex = -1;
    node.focus({ preventScroll: true });
    node.scrollIntoView({ block: "start", behavior: "smooth" });
  }
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    if (help && help.open) return;
    var all = articles();
    if (current < 0 || !all[current] || all[current] !== document.activeElement) {
      var active = document.activeElement && document.activeElement.closest
        ? document.activeElement.closest("article.post") : null;
      current = active ? Array.prototype.indexOf.call(all, active) : current;
    }
    if (e.key === "j") { focusPost(current + 1); e.preventDefault(); }
    else if (e.key === "k") { focusPost(current < 0 ? 0 : current - 1); e.preventDefault(); }
    else if ((e.key === "r" || e.key === "q") && all[current]) {
      var link = all[current].querySelector('a[data-key="' + e.key + '"]');
      if (link) { e.preventDefault(); location.href = link.href; }
    } else if (e.key === "?" && help && help.showModal) { e.preventDefault(); help.showModal(); }
  });

  // --- Open at the first unread post (the page was chosen by the server).
  var divider = document.getElementById("new");
  if (divider && !location.hash) divider.scrollIntoView({ block: "start" });
})();
