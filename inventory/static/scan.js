// In-page QR scanner for the keeper pages. Decodes with the browser's BarcodeDetector where there is one, else with
// the bundled jsQR (loaded on first use). Camera (needs a secure context), a photo of the label, or typing: a
// button is shown only when what it starts can work here. Forms marked data-background (stocktake) post each scan
// in the background and keep the camera open.
(function () {
  "use strict";
  var JSQR_URL = "/static/inventory/vendor/jsqr/jsQR.js";
  var jsqr = null;
  var detector;

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve(window.jsQR);
    if (!jsqr) {
      jsqr = new Promise(function (ok, fail) {
        var s = document.createElement("script");
        s.src = JSQR_URL;
        s.onload = function () { ok(window.jsQR); };
        s.onerror = function (e) { jsqr = null; fail(e); };
        document.head.appendChild(s);
      });
    }
    return jsqr;
  }

  function nativeDetector() {
    if (detector === undefined) {
      detector = null;
      if ("BarcodeDetector" in window) {
        try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { detector = null; }
      }
    }
    return detector;
  }

  var canvas = document.createElement("canvas");

  // The text of the QR code in `source` (video or image of w×h pixels), or null.
  function decode(source, w, h, thorough) {
    var det = nativeDetector();
    function withJsQR() {
      return loadJsQR().then(function (jsQR) {
        var scale = Math.min(1, (thorough ? 1200 : 640) / Math.max(w, h));
        var cw = Math.max(1, Math.round(w * scale)), ch = Math.max(1, Math.round(h * scale));
        canvas.width = cw; canvas.height = ch;
        var ctx = canvas.getContext("2d", { willReadFrequently: true });
        ctx.drawImage(source, 0, 0, cw, ch);
        var r = jsQR(ctx.getImageData(0, 0, cw, ch).data, cw, ch,
                     { inversionAttempts: thorough ? "attemptBoth" : "dontInvert" });
        return r && r.data ? r.data : null;
      });
    }
    if (det) {
      return det.detect(source).then(function (codes) {
        return codes.length ? codes[0].rawValue : null;
      }, withJsQR);
    }
    return withJsQR();
  }

  function submit(form) {
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function setupScanner(box) {
    var input = box.querySelector("input[name]");
    var form = input.form;
    var tools = box.querySelector(".scan-tools"), camBtn = box.querySelector(".scan-cam");
    var photo = box.querySelector(".scan-photo input"), view = box.querySelector(".scan-view");
    var video = view.querySelector("video"), stopBtn = view.querySelector(".scan-stop");
    var msg = box.querySelector(".scan-msg");
    var continuous = box.hasAttribute("data-continuous");
    var stream = null, busy = false, last = "", lastAt = 0;

    function say(text) { msg.textContent = text || ""; msg.hidden = !text; }

    function found(value) {
      var now = Date.now();
      if (value === last && now - lastAt < 3000) return; // the same label still in front of the camera
      last = value; lastAt = now;
      input.value = value;
      if (!continuous) stop();
      if (form) submit(form);
    }

    function stop() {
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null; view.hidden = true; camBtn.hidden = false;
    }

    function frame() {
      if (!stream) return;
      if (!busy && video.readyState >= 2 && video.videoWidth) {
        busy = true;
        decode(video, video.videoWidth, video.videoHeight, false).then(function (v) {
          busy = false;
          if (v) found(v);
        }, function () { busy = false; });
      }
      setTimeout(function () { requestAnimationFrame(frame); }, 120);
    }

    tools.hidden = false;
    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.isSecureContext) {
      camBtn.hidden = false;
      camBtn.addEventListener("click", function () {
        navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
          stream = s; video.srcObject = s; view.hidden = false; camBtn.hidden = true;
          say(box.dataset.scanning);
          return video.play().then(frame);
        }).catch(function () { stop(); say(box.dataset.denied); });
      });
      stopBtn.addEventListener("click", function () { stop(); say(""); });
    }
    photo.addEventListener("change", function () {
      var file = photo.files && photo.files[0];
      if (!file) return;
      var url = URL.createObjectURL(file), img = new Image();
      img.onload = function () {
        decode(img, img.naturalWidth, img.naturalHeight, true).then(function (v) {
          URL.revokeObjectURL(url);
          if (v) { say(""); last = ""; found(v); } else say(box.dataset.noCode);
        }, function () { URL.revokeObjectURL(url); say(box.dataset.noCode); });
      };
      img.onerror = function () { URL.revokeObjectURL(url); say(box.dataset.noCode); };
      img.src = url;
      photo.value = "";
    });
  }

  // Stocktake: post the scan in the background, tick, count, refresh the result lists; keep the camera open.
  function setupBackground(form) {
    var tick = document.getElementById("tick"), count = document.getElementById("scanned");
    var area = document.getElementById("result-area"), input = form.querySelector("input[name=label]");
    form.addEventListener("submit", function (ev) {
      if (!window.fetch || !input.value.trim()) return;
      ev.preventDefault();
      var body = new FormData(form);
      input.value = "";
      fetch(form.action, { method: "POST", body: body, headers: { Accept: "application/json" },
                           credentials: "same-origin" }).then(function (r) {
        var type = r.headers.get("content-type") || "";
        if (type.indexOf("application/json") < 0) {
          // Not our answer (the session ended: the login page): send the form the ordinary way.
          input.value = body.get("label"); form.submit(); return null;
        }
        return r.json();
      }).then(function (d) {
        if (!d) return;
        tick.textContent = d.text;
        tick.className = "tick tick-" + (d.ok ? d.kind : "error");
        if (navigator.vibrate) navigator.vibrate(d.ok && d.kind === "ok" ? 80 : [80, 60, 80]);
        if (d.ok) { count.textContent = d.scanned; area.innerHTML = d.html; }
      }).catch(function () {
        input.value = body.get("label");
        tick.textContent = form.dataset.offline || "…"; tick.className = "tick tick-error";
      });
      input.focus();
    });
  }

  // A misplaced box's slot list picks "record it here".
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.tagName === "SELECT" && /^place-\d+-slot$/.test(el.name)) {
      var here = document.querySelector("input[name='" + el.name.slice(0, -5) + "'][value=here]");
      if (here) here.checked = true;
    }
  });

  document.querySelectorAll(".scan").forEach(setupScanner);
  document.querySelectorAll("form[data-background]").forEach(setupBackground);
})();
