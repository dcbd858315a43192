/* Tell the server which posts of a thread the reader has seen, for the group page's
   unread markers. Showing the page writes nothing; this script reports the highest post
   number that came into view (POST /t/<id>/seen/), and the server moves the read mark
   only forward. Without JavaScript the page keeps its "Mark as read up to here" button. */
(function () {
  "use strict";
  var form = document.getElementById("seen");
  var posts = document.querySelector(".posts");
  if (!form || !posts || !window.fetch || !window.FormData) return;
  var best = 0, sent = 0, timer = null;

  function send(beacon) {
    clearTimeout(timer);
    timer = null;
    if (best <= sent) return;
    var number = best, body = new FormData(form);
    body.set("number", String(number));
    body.delete("back"); // the button returns to the group's list; the script stays
    if (beacon && navigator.sendBeacon) {
      if (navigator.sendBeacon(form.action, body)) sent = number;
      return;
    }
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin" }).then(function (r) { if (r.ok && number > sent) sent = number; }, function () {});
  }
  function saw(article) {
    var number = +article.id.slice(1);
    if (number > best) {
      best = number;
      if (!timer) timer = setTimeout(send, 1000);
    }
  }

  if (!("IntersectionObserver" in window)) {
    best = +form.elements.number.value || 0; // the page's posts, shown on load
    send(false);
    return;
  }
  form.hidden = true; // scrolling reports by itself
  // Seen: at least half of the post, or half of the screen when the post is taller.
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) return;
      var shown = entry.intersectionRect.height;
      var screen = entry.rootBounds ? entry.rootBounds.height : window.innerHeight;
      if (entry.intersectionRatio >= 0.5 || shown >= screen / 2) {
        observer.unobserve(entry.target);
        saw(entry.target);
      }
    });
  }, { threshold: [0, 0.25, 0.5, 0.75, 1] });
  function watch(node) {
    if (node.nodeType === 1 && node.matches("article.post") && /^p\d+$/.test(node.id)) {
      observer.observe(node);
    }
  }
  Array.prototype.forEach.call(posts.querySelectorAll("article.post"), watch);
  // Posts that arrive live (live.js) count once they are seen too.
  new MutationObserver(function (changes) {
    changes.forEach(function (change) { Array.prototype.forEach.call(change.addedNodes, watch); });
  }).observe(posts, { childList: true });
  window.addEventListener("pagehide", function () { send(true); });
})();
