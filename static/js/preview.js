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

  let latest = "";
  const update = async () => {
    const sizes = [...form.querySelectorAll("input[name='preset']:checked")];
    const problem = sizes.length === 0 ? "Select at least one size" : tooLong();
    if (problem) {
      announce(`Preview not updated: ${problem}.`);
      return;
    }
    // Keep the choices in the address, as the form submission would, and ask the server
    // for the same page: it runs the renderer's fit check, so the links it offers download.
    const state = new URLSearchParams(new FormData(form));
    const asked = `${form.getAttribute("action")}?${state}`;
    history.replaceState(null, "", asked);
    latest = asked;
    let served;
    try {
      const response = await fetch(asked, { credentials: "same-origin", headers: { Accept: "text/html" } });
      served = new DOMParser().parseFromString(await response.text(), "text/html");
    } catch {
      announce("The preview could not be updated.");
      return;
    }
    if (latest !== asked) return; // a newer choice is on its way
    const list = served.getElementById("download-list");
    const current = document.getElementById("download-list");
    if (list && current) current.replaceWith(document.importNode(list, true));
    const error = served.querySelector(".govuk-error-summary__list a");
    if (error) {
      if (image) image.hidden = true;
      announce(`Not ready to download: ${error.textContent.trim()}.`);
      return;
    }
    const img = ensureImage();
    wanted = `/api/v1/assets/${asset}/render/preview?${queryFor(sizes[0].value)}`;
    img.hidden = false;
    img.alt = `Preview of ${title} at ${sizes[0].dataset.name} size with your choices`;
    announce("Updating the preview…");
    img.src = wanted;
  };

  const schedule = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, DEBOUNCE_MS);
  };
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
}

if (form) setup();
