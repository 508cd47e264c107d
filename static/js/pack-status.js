// Campaign pack status: while a pack builds, ask the API every few seconds and update the
// status line in place (it is a polite live region); reload once when the pack is finished,
// so the download button appears. Without JavaScript the "Check now" link does the same.
const status = document.querySelector("[data-pack-status]");

if (status) {
  const url = status.dataset.packStatus;
  const every = Math.max(2, Number(status.dataset.every) || 5) * 1000;

  const check = async () => {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const job = await response.json();
      if (job.status === "ready" || job.status === "failed") {
        window.location.reload();
        return;
      }
      const done = job.progress ? job.progress.done : 0;
      const total = job.progress ? job.progress.total : 0;
      status.textContent = `We are building your pack: ${done} of ${total} images done.`;
    } catch {
      // A network blip: try again on the next tick.
    }
    window.setTimeout(check, every);
  };

  window.setTimeout(check, every);
}
