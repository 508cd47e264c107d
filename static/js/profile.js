// Branding profile editor: keep each colour picker and its typed code in step, and show the
// unsaved changes on the preview (debounced). Without this file the form still saves, and
// the preview shows the saved version.

const DEBOUNCE_MS = 300;
const HEX = /^#(?:[0-9a-fA-F]{3}){1,2}$/;
const form = document.querySelector("form[data-profile-form]");
const image = document.getElementById("profile-preview");
const status = document.getElementById("profile-preview-status");

function expand(code) {
  if (code.length === 4) return `#${[...code.slice(1)].map((c) => c + c).join("")}`.toLowerCase();
  return code.toLowerCase();
}

function syncColours() {
  for (const picker of form.querySelectorAll("input[data-colour-picker]")) {
    const text = document.getElementById(picker.dataset.colourPicker);
    picker.addEventListener("input", () => {
      text.value = picker.value;
    });
    text.addEventListener("input", () => {
      if (HEX.test(text.value.trim())) picker.value = expand(text.value.trim());
    });
  }
}

function previewUrl() {
  const url = new URL(image.dataset.previewBase, window.location.href);
  const data = new FormData(form);
  for (const name of ["primary", "secondary", "text", "font", "qr_url", "library_name",
    "library_name_cy", "website", "phone", "email", "address", "opening_hours", "social"]) {
    const value = data.get(name);
    if (typeof value === "string") url.searchParams.set(name, value);
  }
  return url.pathname + url.search;
}

function setupPreview() {
  let timer = 0;
  let changed = false;
  const announce = (text) => {
    if (status.textContent !== text) status.textContent = text;
  };
  image.addEventListener("load", () => {
    image.hidden = false;
    if (changed) announce("Preview updated.");
  });
  image.addEventListener("error", async () => {
    let message = "The preview could not be made.";
    try {
      const response = await fetch(image.src, { credentials: "same-origin" });
      const body = await response.json();
      if (body && typeof body.error === "string") message = body.error;
    } catch {
      // keep the general message
    }
    image.hidden = true;
    announce(message);
  });
  const update = () => {
    changed = true;
    announce("Updating the preview…");
    image.src = previewUrl();
  };
  const schedule = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, DEBOUNCE_MS);
  };
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
}

if (form) syncColours();
if (form && image && status) setupPreview();
