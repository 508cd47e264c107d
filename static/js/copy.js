// Copy buttons on the social post grab page (progressive enhancement).
// Without JavaScript the buttons stay hidden (in a `hidden` wrapper: GOV.UK's button class
// would override the attribute on the button itself) and the text areas can be selected and copied.
// Each button names the text area to copy (data-copy) and the live region (data-status)
// that announces "Copied" to screen reader users.

async function copyText(field) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(field.value);
    return;
  }
  field.select();
  if (!document.execCommand("copy")) {
    throw new Error("copy refused");
  }
}

for (const button of document.querySelectorAll("button[data-copy]")) {
  const field = document.getElementById(button.dataset.copy);
  const status = document.getElementById(button.dataset.status);
  if (!(field instanceof HTMLTextAreaElement) || !status) continue;
  const wrapper = button.closest(".app-copy");
  if (wrapper instanceof HTMLElement) wrapper.hidden = false;
  button.addEventListener("click", async () => {
    status.textContent = "";
    try {
      await copyText(field);
      status.textContent = "Copied";
    } catch {
      field.focus();
      field.select();
      status.textContent = "Could not copy: the text is selected, press Control and C (or Command and C) to copy it";
    }
  });
}
