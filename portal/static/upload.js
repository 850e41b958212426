/* Portal monev: evidence forms send with progress (progressive enhancement: without
   this script the forms post as usual). Sends the form with XMLHttpRequest, shows a
   <progress> bar with "mengunggah… 1,2 MB dari 3,0 MB", keeps the button disabled while
   sending (no double taps), then shows what the server answered: its redirect target
   (the success notice) or its error page. Only runs on forms marked data-unggah. */
(function () {
  "use strict";

  function size(bytes) {
    if (bytes < 1024 * 1024) {
      return Math.max(1, Math.round(bytes / 1024)) + " KB";
    }
    return (bytes / (1024 * 1024)).toFixed(1).replace(".", ",") + " MB";
  }

  function show(html, url) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    document.title = doc.title;
    document.body.replaceWith(document.adoptNode(doc.body));
    history.replaceState(null, "", url);
    var alert = document.querySelector("[role=alert], [role=status]");
    if (alert) {
      alert.setAttribute("tabindex", "-1");
      alert.focus();
    }
    enhance();
  }

  function send(form, button, box, bar, text) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) {
        return;
      }
      var percent = Math.floor((e.loaded / e.total) * 100);
      bar.value = percent;
      text.textContent = e.loaded < e.total
        ? "mengunggah… " + size(e.loaded) + " dari " + size(e.total) + " (" + percent + "%)"
        : "berkas terkirim, sedang diperiksa…";
    });
    xhr.addEventListener("load", function () {
      // followed redirect: its page and address; an error: its page at the checkpoint's
      // own address (reloading it then shows the page, never re-sends the form)
      var moved = xhr.responseURL && xhr.responseURL !== form.action;
      show(xhr.responseText, moved ? xhr.responseURL : location.pathname);
    });
    function failed() {
      form.removeAttribute("data-sending");
      button.disabled = false;
      box.classList.add("error");
      text.textContent = "Koneksi terputus sebelum kiriman selesai. Periksa sinyal lalu " +
        "tekan tombol kirim lagi.";
    }
    xhr.addEventListener("error", failed);
    xhr.addEventListener("abort", failed);
    xhr.send(new FormData(form));
  }

  function enhance() {
    var forms = document.querySelectorAll("form[data-unggah]");
    Array.prototype.forEach.call(forms, function (form) {
      if (form.hasAttribute("data-ready")) {
        return;
      }
      form.setAttribute("data-ready", "");
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        if (form.hasAttribute("data-sending")) {
          return;  // a second tap while sending
        }
        form.setAttribute("data-sending", "");
        var button = form.querySelector("button[type=submit]");
        button.disabled = true;
        var box = form.querySelector(".progress");
        if (!box) {
          box = document.createElement("div");
          box.className = "progress";
          box.innerHTML = '<progress max="100" value="0" aria-label="Kemajuan unggah">' +
            '</progress><p role="status" aria-live="polite"></p>';
          form.appendChild(box);
        }
        box.classList.remove("error");
        var bar = box.querySelector("progress");
        var text = box.querySelector("p");
        bar.value = 0;
        text.textContent = "mengunggah…";
        send(form, button, box, bar, text);
      });
    });
  }

  enhance();
}());
