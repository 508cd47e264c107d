// Focal point enhancement: clicking the picture places a marker and fills in the "across"
// and "down" fields without reloading; "Save focal point" then saves it. Without JavaScript
// the picture is an <input type="image">, so a click submits its coordinates natively.
// Keyboard users type the numbers (pressing the picture from the keyboard moves focus there).
// Styles are set through the CSSOM: the Content-Security-Policy forbids style attributes in
// markup, not properties set from a script file.

const imageForm = document.querySelector("form.app-focal");
const image = imageForm ? imageForm.querySelector("input[type=image]") : null;
const fieldX = document.getElementById("focal_x");
const fieldY = document.getElementById("focal_y");
const status = document.getElementById("focal-status");

function percent(value) {
  return Math.round(value * 100);
}

function clamp(value) {
  return Math.min(1, Math.max(0, value));
}

function makeMarker() {
  const frame = document.createElement("span");
  Object.assign(frame.style, { position: "relative", display: "inline-block", maxWidth: "100%" });
  image.parentNode.insertBefore(frame, image);
  frame.append(image);
  const marker = document.createElement("span");
  marker.setAttribute("aria-hidden", "true");
  Object.assign(marker.style, {
    position: "absolute",
    width: "24px",
    height: "24px",
    marginLeft: "-12px",
    marginTop: "-12px",
    border: "3px solid #ffdd00",
    outline: "3px solid #0b0c0c",
    borderRadius: "50%",
    pointerEvents: "none",
    display: "none",
  });
  frame.append(marker);
  return marker;
}

function place(marker, x, y) {
  if (Number.isNaN(x) || Number.isNaN(y) || x < 0 || x > 1 || y < 0 || y > 1) {
    marker.style.display = "none";
    return;
  }
  marker.style.left = `${x * 100}%`;
  marker.style.top = `${y * 100}%`;
  marker.style.display = "block";
}

if (image && fieldX && fieldY && status) {
  const marker = makeMarker();
  place(marker, parseFloat(imageForm.dataset.focalX), parseFloat(imageForm.dataset.focalY));

  image.addEventListener("click", (event) => {
    event.preventDefault();
    if (event.detail === 0) {
      // Activated from the keyboard: there is no point to take, so type one instead.
      fieldX.focus();
      status.textContent = "Enter the focal point as numbers from 0 to 1.";
      return;
    }
    const box = image.getBoundingClientRect();
    const x = clamp((event.clientX - box.left) / box.width);
    const y = clamp((event.clientY - box.top) / box.height);
    fieldX.value = x.toFixed(3);
    fieldY.value = y.toFixed(3);
    place(marker, x, y);
    status.textContent =
      `Focal point placed ${percent(x)}% across and ${percent(y)}% down. ` +
      "Select Save focal point to keep it.";
  });

  for (const field of [fieldX, fieldY]) {
    field.addEventListener("input", () => {
      place(marker, parseFloat(fieldX.value), parseFloat(fieldY.value));
    });
  }
}
