// Customise page: swap the preview and the download links while people choose.
// Progressive enhancement only: without this file the form is a plain GET that reloads the
// page with the same preview and links, built by the server.

const DEBOUNCE_MS = 300;
const form = document.querySelector("form[data-customise]");

/** The render API query for one size with the form's current choices. */
function queryFor(preset) {
  const params = new URLSearchParams();
  params.set("preset", preset);
  const profile = form.querySelector("input[name='profile']:checked");
  if (profile && profile.value !== "none") params.set("profile", profile.value);
  const format = form.querySelector("select[name='format']");
  if (format && format.value) params.set("format", format.value);
  for (const input of form.querySelectorAll("input[data-local-field]")) {
    if (input.value) params.set(`field.${input.name}`, input.value);
  }
  return params.toString();
}

/** The first local field over its limit, as a message (null when all fit). */
function tooLong() {
  for (const input of form.querySelectorAll("input[data-local-field]")) {
    const limit = Number(input.dataset.limit);
    if ([...input.value.normalize("NFC")].length > limit) {
      return `${input.dataset.label} must be ${limit} characters or fewer`;
    }
  }
  return null;
}

function downloadList(asset, title, sizes) {
  const list = document.createElement("ul");
  list.className = "govuk-list";
  list.id = "download-list";
  list.setAttribute("aria-labelledby", "downloads-heading");
  for (const size of sizes) {
    const link = document.createElement("a");
    link.className = "govuk-link";
    // allow_smaller: a picture smaller than the size is delivered smaller, never refused.
    link.href = `/api/v1/assets/${asset}/render?${queryFor(size.value)}&allow_smaller=1`;
    link.setAttribute("download", "");
    link.dataset.preset = size.value;
    const hidden = document.createElement("span");
    hidden.className = "govuk-visually-hidden";
    hidden.textContent = `of ${title}`;
    link.append(`Download ${size.dataset.name} `, hidden);
    link.append(`(${size.dataset.width} × ${size.dataset.height} pixels)`);
    const item = document.createElement("li");
    item.append(link);
    list.append(item);
  }
  return list;
}

function setup() {
  const asset = form.dataset.asset;
  const status = document.getElementById("preview-status");
  let image = document.getElementById("preview-image");
  const title = image ? image.dataset.title : document.title;
  let timer = 0;
  let wanted = "";

  const announce = (text) => {
    if (status.textContent !== text) status.textContent = text;
  };

  const ensureImage = () => {
    if (image) return image;
    image = document.createElement("img");
    image.id = "preview-image";
    image.className = "app-preview";
    image.width = 600;
    image.dataset.title = title;
    const none = document.getElementById("preview-none");
    if (none) none.replaceWith(image);
    else status.after(image);
    listen(image);
    return image;
  };

  const listen = (img) => {
    img.addEventListener("load", () => {
      if (wanted && img.src.endsWith(wanted)) announce("Preview updated.");
    });
    img.addEventListener("error", async () => {
      // The image failed: ask the API why, and say so instead of showing a broken picture.
      let message = "The preview could not be made.";
      try {
        const response = await fetch(img.src, { credentials: "same-origin" });
        const body = await response.json();
        if (body && typeof body.error === "string") message = `The preview could not be made: ${body.error}`;
      } catch {
        // keep the general message
      }
      img.hidden = true;
      announce(message);
    });
  };
  if (image) listen(image);

  const update = () => {
    const sizes = [...form.querySelectorAll("input[name='preset']:checked")];
    const problem = sizes.length === 0 ? "Select at least one size" : tooLong();
    const current = document.getElementById("download-list");
    if (problem) {
      announce(`Preview not updated: ${problem}.`);
      return;
    }
    current.replaceWith(downloadList(asset, title, sizes));
    const img = ensureImage();
    wanted = `/api/v1/assets/${asset}/render/preview?${queryFor(sizes[0].value)}`;
    img.hidden = false;
    img.alt = `Preview of ${title} at ${sizes[0].dataset.name} size with your choices`;
    announce("Updating the preview…");
    img.src = wanted;
    // Keep the choices in the address, as the form submission would.
    const state = new URLSearchParams(new FormData(form));
    history.replaceState(null, "", `${form.getAttribute("action")}?${state}`);
  };

  const schedule = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, DEBOUNCE_MS);
  };
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
}

if (form) setup();
