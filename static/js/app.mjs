// assets hub's only script: small enhancements; every page works without it.
// Loaded as a module file (the Content-Security-Policy allows no inline scripts).

document.body.classList.add("js-enabled");

// Move focus to the error summary so screen readers announce the problems first
// (the `autofocus` attribute does this without JavaScript in most browsers).
const summary = document.querySelector(".govuk-error-summary");
if (summary instanceof HTMLElement && document.activeElement !== summary) {
  summary.focus();
}

// A link in the error summary focuses its field and scrolls its label into view,
// instead of hiding the label above the top of the screen.
for (const link of document.querySelectorAll(".govuk-error-summary__list a[href^='#']")) {
  link.addEventListener("click", (event) => {
    const field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    const label = document.querySelector(`label[for="${CSS.escape(field.id)}"]`);
    (label || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });
}

// GOV.UK service navigation: at phone widths the links fold behind a "Menu" button, as
// GOV.UK Frontend's own component does (without JavaScript the links simply show).
const navToggle = document.querySelector(".govuk-js-service-navigation-toggle");
const navList = navToggle && document.getElementById(navToggle.getAttribute("aria-controls"));
if (navToggle instanceof HTMLButtonElement && navList) {
  const wide = window.matchMedia("(min-width: 40.0625em)");
  const sync = () => {
    const open = navToggle.getAttribute("aria-expanded") === "true";
    navToggle.hidden = wide.matches;
    navList.hidden = !wide.matches && !open;
  };
  navToggle.addEventListener("click", () => {
    const open = navToggle.getAttribute("aria-expanded") === "true";
    navToggle.setAttribute("aria-expanded", String(!open));
    sync();
  });
  wide.addEventListener("change", sync);
  sync();
}
