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

// The metadata fields as the API expects them: checkbox groups joined with commas.
function metadataFields() {
  const data = new FormData(form);
  data.delete("file");
  data.delete("csrf_token");
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
    note.textContent = warning;
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

function send(file, parts, token) {
  return new Promise((resolve) => {
    const data = metadataFields();
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
      if (await send(file, rows[index], token)) uploaded += 1;
    }
    const summary = `${uploaded} of ${files.length} ${files.length === 1 ? "file" : "files"} uploaded`;
    heading.textContent = summary;
    announce(summary);
    heading.focus();
    button.disabled = false;
    button.removeAttribute("aria-disabled");
    input.value = "";
  });
}
