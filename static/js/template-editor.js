// Overlay template editor: redraw the preview while the campaign team types (debounced).
// Without this file "Check and preview" posts the form and the server draws the preview.

const DEBOUNCE_MS = 600;
const form = document.querySelector("form[data-template-editor]");
const image = document.getElementById("template-preview");
const status = document.getElementById("template-preview-status");

function setup() {
  const textarea = form.querySelector("textarea[name='document']");
  const preset = form.querySelector("select[name='preset']");
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
    announce(message);
  });
  const update = () => {
    let documentValue;
    try {
      documentValue = JSON.parse(textarea.value);
    } catch (error) {
      announce(`The template is not valid JSON yet: ${error.message}`);
      return;
    }
    const url = new URL(image.dataset.previewBase, window.location.href);
    url.searchParams.set("preset", preset.value);
    url.searchParams.set("document", JSON.stringify(documentValue));
    changed = true;
    announce("Updating the preview…");
    image.src = url.pathname + url.search;
  };
  const schedule = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, DEBOUNCE_MS);
  };
  textarea.addEventListener("input", schedule);
  preset.addEventListener("change", schedule);
}

if (form && image && status) setup();
