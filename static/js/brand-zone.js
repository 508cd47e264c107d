// Brand zone editor: drag across the page preview to draw the box (progressive enhancement;
// the four number fields are the keyboard and no-JavaScript way, and this only fills them).

const editor = document.querySelector("[data-zone-editor]");
const rect = editor?.querySelector("rect");
const fields = ["x", "y", "width", "height"].map((n) => document.getElementById(`zone-${n}`));

function percent(event) {
  const box = editor.getBoundingClientRect();
  const clamp = (v) => Math.min(100, Math.max(0, v));
  return [clamp((100 * (event.clientX - box.left)) / box.width), clamp((100 * (event.clientY - box.top)) / box.height)];
}

function show(x, y, width, height) {
  rect.setAttribute("x", String(x));
  rect.setAttribute("y", String(y));
  rect.setAttribute("width", String(width));
  rect.setAttribute("height", String(height));
}

if (editor && rect && fields.every((f) => f instanceof HTMLInputElement)) {
  document.getElementById("zone-hint-draw").hidden = false;
  editor.classList.add("app-zone--drawable");
  let start = null;
  editor.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    start = percent(event);
    editor.setPointerCapture(event.pointerId);
  });
  editor.addEventListener("pointermove", (event) => {
    if (!start) return;
    const [x, y] = percent(event);
    show(Math.min(x, start[0]), Math.min(y, start[1]), Math.abs(x - start[0]), Math.abs(y - start[1]));
  });
  editor.addEventListener("pointerup", (event) => {
    if (!start) return;
    const [x, y] = percent(event);
    const values = [Math.min(x, start[0]), Math.min(y, start[1]), Math.abs(x - start[0]), Math.abs(y - start[1])];
    start = null;
    values.forEach((v, i) => { fields[i].value = String(Math.round(v * 10) / 10); });
    show(...values);
  });
  for (const field of fields) {
    field.addEventListener("input", () => {
      const values = fields.map((f) => Number(f.value));
      if (values.every((v) => Number.isFinite(v))) show(...values);
    });
  }
}
