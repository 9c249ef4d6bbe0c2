// Progressive enhancement only: every page works without this file.
"use strict";

function setUpCopyButtons(root) {
  for (const button of root.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      if (!source || !navigator.clipboard) return;
      const label = button.textContent;
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        button.textContent = "Copied";
      } catch (error) {
        button.textContent = "Select and copy";
      }
      setTimeout(() => { button.textContent = label; }, 2000);
    });
  }
}

function setUpInstantSearch() {
  const form = document.getElementById("search-form");
  const results = document.getElementById("results");
  if (!form || !results || !window.fetch) return;
  let timer = null;
  let latest = 0;
  const update = async () => {
    const params = new URLSearchParams(new FormData(form));
    for (const [key, value] of [...params]) if (!value) params.delete(key);
    const query = params.toString();
    const request = ++latest;
    const response = await fetch("/?" + (query ? query + "&" : "") + "partial=1",
      { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (request !== latest) return;
    if (response.redirected || !response.ok) { form.submit(); return; }  // signed out: reload
    results.innerHTML = await response.text();
    history.replaceState(null, "", query ? "/?" + query : "/");
  };
  const soon = () => { clearTimeout(timer); timer = setTimeout(update, 150); };
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  form.addEventListener("submit", (event) => { event.preventDefault(); update(); });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpCopyButtons(document);
  setUpInstantSearch();
});
