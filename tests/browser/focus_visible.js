// Is the focused element's focus indicator visible and on screen? An outline of at least
// 2px or a box-shadow (GOV.UK's focus style uses both, or a yellow background with a thick
// bottom shadow for links). Evaluated by Playwright; returns {ok, ...details}.
(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {ok: false, why: 'nothing focused'};
  // GOV.UK checkboxes hide the real input and draw its focus ring on the label's ::before.
  const drawn = el.matches('.govuk-checkboxes__input, .govuk-radios__input');
  const cs = drawn ? getComputedStyle(el.nextElementSibling, '::before') : getComputedStyle(el);
  const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
  const shadow = cs.boxShadow && cs.boxShadow !== 'none';
  const r = el.getBoundingClientRect();
  const onScreen = r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth;
  return {
    ok: (outline || shadow) && onScreen,
    tag: el.tagName,
    text: (el.innerText || el.id || '').slice(0, 60),
    outline: cs.outlineStyle + ' ' + cs.outlineWidth,
    shadow: cs.boxShadow,
    rect: [r.top, r.bottom],
  };
})()
