// Attachments: drag and drop with upload progress on forms, a lightbox for images.
// Without this script the form's file input sends the files with the form, and an
// image links to its display version.
(function () {
  "use strict";

  function csrfToken(form) {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function setUp(picker) {
    var form = picker.closest("form");
    var input = picker.querySelector("input[type=file]");
    var list = picker.querySelector(".attachments-pending");
    if (!form || !input || !list || !window.FormData) return;
    var inFlight = 0;
    var submitWhenDone = false;
    var submitter = null; // the button pressed, so that its name and value still go

    function entry(name) {
      var item = document.createElement("li");
      item.className = "attachment-pending";
      var label = document.createElement("span");
      label.textContent = name + " ";
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      item.appendChild(label);
      item.appendChild(bar);
      list.appendChild(item);
      return { item: item, bar: bar, label: label };
    }

    function done(row, file) {
      row.bar.remove();
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "attachment";
      hidden.value = String(file.id);
      var size = document.createElement("span");
      size.className = "meta";
      size.textContent = " " + file.size_label + " ";
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.textContent = picker.dataset.tRemove || "Remove";
      remove.addEventListener("click", function () { row.item.remove(); });
      row.item.appendChild(hidden);
      row.item.appendChild(size);
      row.item.appendChild(remove);
    }

    function failed(row, message) {
      row.bar.remove();
      var note = document.createElement("span");
      note.className = "failed";
      note.setAttribute("role", "alert");
      note.textContent = message || picker.dataset.tFailed || "not attached";
      row.item.appendChild(note);
    }

    function finished() {
      inFlight -= 1;
      if (inFlight === 0) delete form.dataset.uploading;
      if (inFlight === 0 && submitWhenDone) {
        submitWhenDone = false;
        form.requestSubmit ? form.requestSubmit(submitter || undefined) : form.submit();
      }
    }

    function send(file) {
      var row = entry(file.name);
      var body = new FormData();
      body.append("files", file, file.name);
      var request = new XMLHttpRequest();
      request.open("POST", picker.dataset.uploadUrl);
      request.setRequestHeader("X-CSRFToken", csrfToken(form));
      request.responseType = "json";
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) row.bar.value = Math.round((100 * event.loaded) / event.total);
      });
      request.addEventListener("load", function () {
        var answer = request.response || {};
        if (request.status === 200 && answer.files && answer.files.length) {
          done(row, answer.files[0]);
        } else {
          failed(row, (answer.errors || [])[0]);
        }
        finished();
      });
      request.addEventListener("error", function () { failed(row); finished(); });
      inFlight += 1;
      form.dataset.uploading = "1";
      request.send(body);
    }

    function sendAll(files) {
      for (var i = 0; i < files.length; i += 1) send(files[i]);
    }

    input.addEventListener("change", function () {
      sendAll(input.files);
      input.value = ""; // sent already: the form must not send them again
    });
    form.addEventListener("dragover", function (event) {
      if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) {
        event.preventDefault();
        picker.classList.add("dragging");
      }
    });
    form.addEventListener("dragleave", function () { picker.classList.remove("dragging"); });
    form.addEventListener("drop", function (event) {
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      event.preventDefault();
      picker.classList.remove("dragging");
      sendAll(event.dataTransfer.files);
    });
    form.addEventListener("submit", function (event) {
      if (inFlight > 0) {
        event.preventDefault();
        submitWhenDone = true;
        submitter = event.submitter || null;
      }
    });
  }

  function openLightbox(link) {
    var box = document.createElement("div");
    box.className = "lightbox";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "true");
    var image = document.createElement("img");
    image.src = link.href;
    image.alt = link.title || "";
    var full = document.createElement("a");
    full.href = link.dataset.full;
    full.textContent = link.title || link.dataset.full;
    box.appendChild(image);
    box.appendChild(full);
    function close() {
      box.remove();
      document.removeEventListener("keydown", onKey);
      link.focus();
    }
    function onKey(event) { if (event.key === "Escape") close(); }
    box.addEventListener("click", function (event) { if (event.target !== full) close(); });
    document.addEventListener("keydown", onKey);
    document.body.appendChild(box);
    box.tabIndex = -1;
    box.focus();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.attachment-image") : null;
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    openLightbox(link);
  });

  document.querySelectorAll(".attachments-picker").forEach(setUp);
})();
