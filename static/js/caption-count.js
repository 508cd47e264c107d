// Live caption counts on the post editor (progressive enhancement: the server shows the
// same counts after each save). Each platform counts its own way, as
// assets_hub/social/platforms.py does: X weights (links 23, emoji 2, CJK 2), Bluesky
// counts graphemes, Threads counts an emoji as its UTF-8 bytes, the rest UTF-16 units.
// {placeholders} are left out (the library's details come on top) and the link is added
// as the staff copy places it.

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const emoji = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u;
const url = /(?:https?:\/\/|\bwww\.)[^\s<>"]+/giu;
const light = [[0, 4351], [8192, 8205], [8208, 8223], [8242, 8247]];

function graphemes(text) {
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

function xWeight(text) {
  let weight = 0;
  for (const cluster of graphemes(text)) {
    if (emoji.test(cluster)) { weight += 2; continue; }
    for (const char of cluster) {
      const code = char.codePointAt(0);
      weight += light.some(([lo, hi]) => lo <= code && code <= hi) ? 1 : 2;
    }
  }
  return weight;
}

function length(text, counting) {
  if (counting === "x-weighted") {
    const normal = text.normalize("NFC");
    let total = 0;
    let rest = normal.replace(url, () => { total += 23; return ""; });
    return total + xWeight(rest);
  }
  if (counting === "graphemes") return graphemes(text).length;
  if (counting === "threads") {
    const encoder = new TextEncoder();
    return graphemes(text).reduce((n, c) => n + (emoji.test(c) ? encoder.encode(c).length : c.length), 0);
  }
  if (counting === "utf16") return text.length;
  return Array.from(text).length;
}

const link = document.getElementById("link");

function update(list) {
  const field = document.getElementById(list.dataset.countFor);
  if (!(field instanceof HTMLTextAreaElement)) return;
  let text = field.value.replace(/\{[a-z_][a-z0-9_]*\}/g, "").replace(/\{\{/g, "{").replace(/\}\}/g, "}").trimEnd();
  const address = link instanceof HTMLInputElement ? link.value.trim() : "";
  if (address && !text.includes(address)) text = text ? `${text}\n\n${address}` : address;
  for (const item of list.querySelectorAll("li[data-counting]")) {
    const n = length(text, item.dataset.counting);
    const over = n > Number(item.dataset.max);
    item.querySelector(".app-counts__n").textContent = String(n);
    item.querySelector(".app-counts__state").textContent = over ? " – too long" : "";
    item.classList.toggle("app-counts__over", over);
  }
}

const lists = document.querySelectorAll("ul[data-count-for]");
for (const list of lists) {
  const field = document.getElementById(list.dataset.countFor);
  field?.addEventListener("input", () => update(list));
  update(list);
}
link?.addEventListener("input", () => lists.forEach(update));
