// In-page QR scanner: uses the browser's BarcodeDetector when there is one; typing the code always works.
(function () {
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  document.querySelectorAll(".scan-btn").forEach(function (btn) {
    var input = document.getElementById(btn.dataset.target);
    var box = btn.parentNode, video = box.querySelector("video"), err = box.querySelector(".scan-err");
    btn.hidden = false;
    btn.addEventListener("click", async function () {
      try {
        var det = new BarcodeDetector({ formats: ["qr_code"] });
        var stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
        video.srcObject = stream; video.hidden = false; await video.play();
        var tick = async function () {
          var codes = await det.detect(video).catch(function () { return []; });
          if (codes.length) {
            stream.getTracks().forEach(function (t) { t.stop(); });
            video.hidden = true; input.value = codes[0].rawValue;
            if (input.form) input.form.requestSubmit ? input.form.requestSubmit() : input.form.submit();
            return;
          }
          requestAnimationFrame(tick);
        };
        tick();
      } catch (e) { err.hidden = false; }
    });
  });
})();
