// The customer photo's modal (templates/customers/customer_photo.html): a
// file from the picker or a picture from the camera goes into the form's
// file input; a square over the preview proposes the section, sent as
// crop_x / crop_y / crop_size in the photo's own pixels. The server checks
// and cuts (opticrm.lib.images): without a proposal it takes the middle.
(function () {
  "use strict";

  const MIN_SHARE = 0.2; // the smallest square: a fifth of the shorter side

  function setup(form) {
    if (form.dataset.photoReady) return;
    form.dataset.photoReady = "1";
    const input = form.querySelector("[data-photo-input]");
    const message = form.querySelector("[data-photo-message]");
    const crop = form.querySelector("[data-photo-crop]");
    const frame = form.querySelector("[data-crop-frame]");
    const image = form.querySelector("[data-crop-image]");
    const square = form.querySelector("[data-crop-square]");
    const zoom = form.querySelector("[data-crop-zoom]");
    const camera = form.querySelector("[data-photo-camera]");
    const video = form.querySelector("[data-camera-video]");
    const fields = {
      x: form.querySelector("[name=crop_x]"),
      y: form.querySelector("[name=crop_y]"),
      size: form.querySelector("[name=crop_size]"),
    };
    // The square in the photo's pixels.
    const box = { x: 0, y: 0, size: 0 };
    let stream = null;

    function say(text) {
      message.textContent = text || "";
      message.hidden = !text;
    }

    function clearCrop() {
      fields.x.value = fields.y.value = fields.size.value = "";
      crop.hidden = true;
    }

    function draw() {
      const scale = frame.clientWidth / image.naturalWidth;
      square.style.left = `${box.x * scale}px`;
      square.style.top = `${box.y * scale}px`;
      square.style.width = square.style.height = `${box.size * scale}px`;
      fields.x.value = Math.round(box.x);
      fields.y.value = Math.round(box.y);
      fields.size.value = Math.floor(box.size);
    }

    function place(x, y, size) {
      const w = image.naturalWidth;
      const h = image.naturalHeight;
      box.size = Math.max(1, Math.min(size, w, h));
      box.x = Math.min(Math.max(0, x), w - box.size);
      box.y = Math.min(Math.max(0, y), h - box.size);
      draw();
    }

    function showFile(file) {
      say("");
      if (!file) return clearCrop();
      const reader = new FileReader();
      reader.onload = () => {
        image.src = reader.result; // a data: URL (the CSP allows no blob:)
      };
      reader.readAsDataURL(file);
    }

    image.addEventListener("load", () => {
      crop.hidden = false;
      zoom.value = 100;
      const side = Math.min(image.naturalWidth, image.naturalHeight);
      place((image.naturalWidth - side) / 2, (image.naturalHeight - side) / 2, side);
    });
    image.addEventListener("error", () => {
      // e.g. HEIC, which Chromium does not show: the server still reads it.
      clearCrop();
      if (input.files.length) say(form.dataset.noPreview);
    });
    input.addEventListener("change", () => showFile(input.files[0]));

    zoom.addEventListener("input", () => {
      const shorter = Math.min(image.naturalWidth, image.naturalHeight);
      const share = Math.max(MIN_SHARE, Number(zoom.value) / 100);
      const size = shorter * share;
      const middleX = box.x + box.size / 2;
      const middleY = box.y + box.size / 2;
      place(middleX - size / 2, middleY - size / 2, size);
    });

    let drag = null;
    frame.addEventListener("pointerdown", (event) => {
      if (crop.hidden) return;
      const scale = frame.clientWidth / image.naturalWidth;
      drag = { startX: event.clientX, startY: event.clientY, x: box.x, y: box.y, scale };
      frame.setPointerCapture(event.pointerId);
      event.preventDefault();
    });
    frame.addEventListener("pointermove", (event) => {
      if (!drag) return;
      place(
        drag.x + (event.clientX - drag.startX) / drag.scale,
        drag.y + (event.clientY - drag.startY) / drag.scale,
        box.size,
      );
    });
    const drop = () => {
      drag = null;
    };
    frame.addEventListener("pointerup", drop);
    frame.addEventListener("pointercancel", drop);
    // Without a mouse: the arrow keys move the square by a tenth of its side.
    const KEYS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    frame.addEventListener("keydown", (event) => {
      const step = KEYS[event.key];
      if (!step || crop.hidden) return;
      event.preventDefault();
      const by = Math.max(1, box.size / 10);
      place(box.x + step[0] * by, box.y + step[1] * by, box.size);
    });
    window.addEventListener("resize", () => {
      if (!crop.hidden && image.naturalWidth) draw();
    });

    function stopCamera() {
      if (stream) stream.getTracks().forEach((track) => track.stop());
      stream = null;
      camera.hidden = true;
    }

    async function startCamera() {
      say("");
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        say(form.dataset.cameraUnavailable);
        return;
      }
      try {
        stopCamera();
        stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 1280 } },
          audio: false,
        });
      } catch (error) {
        const denied = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
        say(denied ? form.dataset.cameraDenied : form.dataset.cameraUnavailable);
        return;
      }
      video.srcObject = stream;
      camera.hidden = false;
    }

    function takePicture() {
      if (!stream || !video.videoWidth) return;
      const canvas = document.createElement("canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      canvas.toBlob(
        (blob) => {
          if (!blob) return;
          const file = new File([blob], "kamera.jpg", { type: "image/jpeg" });
          const files = new DataTransfer();
          files.items.add(file);
          input.files = files.files;
          stopCamera();
          showFile(file);
        },
        "image/jpeg",
        0.92,
      );
    }

    form.querySelector("[data-camera-start]").addEventListener("click", startCamera);
    form.querySelector("[data-camera-take]").addEventListener("click", takePicture);
    // The camera goes off with the modal, whichever way it closes.
    const dialog = form.closest("dialog");
    if (dialog) dialog.addEventListener("close", stopCamera, { once: true });
    form.addEventListener("htmx:beforeRequest", stopCamera);
    if (form.hasAttribute("data-camera-autostart")) startCamera();
  }

  function scan(root) {
    const scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll("[data-photo-form]").forEach(setup);
  }

  document.addEventListener("htmx:load", (event) => scan(event.detail.elt.parentNode || document));
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => scan(document));
  } else {
    scan(document);
  }
})();
