// Upload page enhancement: send each chosen file on its own request to the JSON API, with a
// progress bar and its own result next to it. Without JavaScript the form posts to
// /editor/upload and the page lists each file's result instead.
//
// The session's CSRF token comes from the form's hidden csrf_token field and travels in the
// X-CSRF-Token header, which the API accepts for cookie sessions.

const form = document.getElementById("upload-form");
const panel = document.getElementById("upload-progress");
const list = document.getElementById("upload-progress-list");
const heading = document.getElementById("upload-progress-heading");
const status = document.getElementById("upload-status");

function announce(text) {
  // Clearing first makes screen readers repeat an identical message.
  status.textContent = "";
  window.setTimeout(() => {
    status.textContent = text;
  }, 50);
}

// The metadata fields as the API expects them: checkbox groups joined with commas, and the
// title and alt text typed beside this file (if any) instead of the shared ones.
function metadataFields(index) {
  const data = new FormData(form);
  data.delete("file");
  data.delete("csrf_token");
  for (const name of ["title", "alt_text"]) {
    const own = (data.get(`${name}-${index}`) || "").trim();
    if (own) data.set(name, own);
  }
  for (const key of [...data.keys()]) {
    if (/^(title|alt_text)-\d+$/.test(key)) data.delete(key);
  }
  const audience = data.getAll("audience");
  data.delete("audience");
  if (audience.length) data.set("audience", audience.join(","));
  return data;
}

function row(file, index) {
  const item = document.createElement("li");
  item.className = "app-upload-progress__item";
  item.id = `upload-file-${index}`;
  const label = document.createElement("label");
  label.className = "govuk-label govuk-!-font-weight-bold";
  label.htmlFor = `upload-bar-${index}`;
  label.textContent = file.name;
  const bar = document.createElement("progress");
  bar.id = `upload-bar-${index}`;
  bar.max = 100;
  bar.value = 0;
  const result = document.createElement("p");
  result.className = "govuk-body";
  result.id = `upload-result-${index}`;
  result.textContent = "Waiting";
  bar.setAttribute("aria-describedby", result.id);
  item.append(label, bar, result);
  return { item, bar, result };
}

function showCreated(parts, file, body) {
  parts.bar.value = 100;
  parts.result.textContent = "";
  const tag = document.createElement("strong");
  tag.className = "govuk-tag govuk-tag--green";
  tag.textContent = "Uploaded";
  const link = document.createElement("a");
  link.className = "govuk-link";
  link.href = `/editor/assets/${encodeURIComponent(body.id)}`;
  link.textContent = `Edit the details of ${file.name}`;
  parts.result.append(tag, " ", link);
  for (const warning of body.warnings || []) {
    const note = document.createElement("span");
    note.className = "govuk-body-s govuk-!-display-block";
    // A duplicate warning names another asset by id: make it a link to that asset.
    const found = warning.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    if (found) {
      const other = document.createElement("a");
      other.className = "govuk-link";
      other.href = `/assets/${found[0]}`;
      other.textContent = "the asset it looks like";
      note.append("Possible duplicate: compare it with ", other, ".");
    } else {
      note.textContent = warning;
    }
    parts.result.append(note);
  }
}

function showRefused(parts, message) {
  parts.item.classList.add("govuk-form-group--error");
  parts.result.className = "govuk-error-message";
  parts.result.textContent = "";
  const hidden = document.createElement("span");
  hidden.className = "govuk-visually-hidden";
  hidden.textContent = "Error: ";
  parts.result.append(hidden, `Not uploaded: ${message}`);
}

function errorOf(xhr) {
  try {
    const body = JSON.parse(xhr.responseText);
    if (body && typeof body.error === "string") return body.error;
  } catch {
    // not JSON: fall through to the status line
  }
  if (xhr.status === 0) return "the connection failed; check your network and try again";
  return `the server answered ${xhr.status} ${xhr.statusText}`;
}

function send(file, parts, token, index) {
  return new Promise((resolve) => {
    const data = metadataFields(index);
    data.append("file", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.uploadUrl);
    xhr.setRequestHeader("X-CSRF-Token", token);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "text";
    parts.result.textContent = "Uploading";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) {
        parts.bar.value = Math.round((event.loaded / event.total) * 100);
      }
    });
    xhr.addEventListener("load", () => {
      if (xhr.status === 201) {
        showCreated(parts, file, JSON.parse(xhr.responseText));
        announce(`${file.name} uploaded`);
        resolve(true);
      } else {
        const message = errorOf(xhr);
        showRefused(parts, message);
        announce(`${file.name} not uploaded: ${message}`);
        resolve(false);
      }
    });
    xhr.addEventListener("error", () => {
      showRefused(parts, errorOf(xhr));
      announce(`${file.name} not uploaded`);
      resolve(false);
    });
    xhr.send(data);
  });
}

if (form && panel && list && heading && status && window.FormData) {
  form.addEventListener("submit", async (event) => {
    const input = form.elements.namedItem("file");
    const files = input && input.files ? Array.from(input.files) : [];
    if (!files.length) return; // the server explains what is missing
    event.preventDefault();
    const token = form.elements.namedItem("csrf_token").value;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.setAttribute("aria-disabled", "true");
    list.replaceChildren();
    panel.hidden = false;
    heading.textContent = `Uploading ${files.length} ${files.length === 1 ? "file" : "files"}`;
    heading.focus();
    const rows = files.map((file, index) => {
      const parts = row(file, index);
      list.append(parts.item);
      return parts;
    });
    let uploaded = 0;
    // One at a time: fair to the upload quota, and progress is easy to follow.
    for (const [index, file] of files.entries()) {
      if (await send(file, rows[index], token, index)) uploaded += 1;
    }
    const summary = `${uploaded} of ${files.length} ${files.length === 1 ? "file" : "files"} uploaded`;
    heading.textContent = summary;
    announce(summary);
    heading.focus();
    button.disabled = false;
    button.removeAttribute("aria-disabled");
    input.value = "";
    describeFiles();
  });
}

// One title and one alt text box per chosen file (named title-N, alt_text-N: the page's
// own POST reads them too), so every picture gets its own description.
const details = document.getElementById("file-details");
const detailsList = document.getElementById("file-details-list");
const fileInput = document.getElementById("file");

function field(kind, index, file, labelText, multiline) {
  const group = document.createElement("div");
  group.className = "govuk-form-group";
  const label = document.createElement("label");
  label.className = "govuk-label";
  label.htmlFor = `${kind}-${index}`;
  label.textContent = labelText;
  const hidden = document.createElement("span");
  hidden.className = "govuk-visually-hidden";
  hidden.textContent = ` for ${file.name}`;
  label.append(hidden);
  const input = document.createElement(multiline ? "textarea" : "input");
  input.className = multiline ? "govuk-textarea" : "govuk-input";
  input.id = `${kind}-${index}`;
  input.name = `${kind}-${index}`;
  if (multiline) input.rows = 2;
  else input.type = "text";
  group.append(label, input);
  return group;
}

function describeFiles() {
  if (!details || !detailsList || !(fileInput instanceof HTMLInputElement)) return;
  const files = Array.from(fileInput.files || []);
  detailsList.replaceChildren();
  details.hidden = files.length === 0;
  files.forEach((file, index) => {
    const item = document.createElement("li");
    item.className = "app-row";
    const name = document.createElement("h3");
    name.className = "govuk-heading-s app-break";
    name.textContent = `${index + 1}. ${file.name}`;
    item.append(name, field("title", index, file, "Title (optional)", false), field("alt_text", index, file, "Alt text", true));
    detailsList.append(item);
  });
}

fileInput?.addEventListener("change", describeFiles);

// Drag and drop onto the file input's area, as well as choosing files with it.
const dropzone = document.getElementById("dropzone");
if (dropzone && fileInput instanceof HTMLInputElement && window.DataTransfer) {
  dropzone.querySelector(".app-dropzone__hint").hidden = false;
  dropzone.classList.add("app-dropzone--active");
  const over = (on) => dropzone.classList.toggle("app-dropzone--over", on);
  dropzone.addEventListener("dragover", (event) => {
    event.preventDefault();
    over(true);
  });
  dropzone.addEventListener("dragleave", () => over(false));
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    over(false);
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    const merged = new DataTransfer();
    for (const file of [...(fileInput.files || []), ...event.dataTransfer.files]) merged.items.add(file);
    fileInput.files = merged.files;
    describeFiles();
    announce(`${merged.files.length} ${merged.files.length === 1 ? "file" : "files"} chosen`);
  });
}
