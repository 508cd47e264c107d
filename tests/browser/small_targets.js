// WCAG 2.5.8 Target Size (Minimum): every target at least 24 by 24 CSS px, unless it is a
// link inside a sentence, or spaced so that a 24px circle on its centre touches no other
// target (nor another undersized target's circle). Returns the offending targets.
(() => {
  const all = [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])')]
    .filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; });
  const inSentence = el => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    const block = el.parentElement.closest('p, li, dd, td, div');
    return block && block.textContent.trim().length > el.textContent.trim().length;
  };
  const info = all.map(el => {
    const r = el.getBoundingClientRect();
    return {el, r, cx: r.left + r.width / 2, cy: r.top + r.height / 2,
            small: r.width < 24 - 0.01 || r.height < 24 - 0.01};
  });
  const bad = [];
  for (const a of info) {
    if (!a.small || inSentence(a.el)) continue;
    for (const b of info) {
      if (a === b) continue;
      let hit;
      if (b.small) hit = Math.hypot(a.cx - b.cx, a.cy - b.cy) < 24;
      else {
        const dx = Math.max(b.r.left - a.cx, 0, a.cx - b.r.right);
        const dy = Math.max(b.r.top - a.cy, 0, a.cy - b.r.bottom);
        hit = Math.hypot(dx, dy) < 12;
      }
      if (hit) { bad.push({tag: a.el.tagName, text: (a.el.innerText || a.el.id || '').slice(0, 40),
                           w: a.r.width, h: a.r.height}); break; }
    }
  }
  return bad;
})()
