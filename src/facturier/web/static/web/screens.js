// The few behaviours of the screens that need a script, kept out of the pages so the
// Content-Security-Policy can forbid inline code: elements say what they do with data-* attributes.
"use strict";

document.addEventListener("click", (event) => {
  const target = event.target;
  const confirmed = target.closest("button[data-confirm], a[data-confirm]");
  if (confirmed && !window.confirm(confirmed.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  const tickAll = target.closest("input[data-tick-all]");
  if (tickAll) {
    for (const box of document.querySelectorAll(`input[name="${tickAll.dataset.tickAll}"]`)) {
      box.checked = tickAll.checked;
    }
  }
  const remove = target.closest("button[data-remove-line]");
  if (remove) {
    const form = remove.form;
    remove.closest("tr").remove();
    window.htmx.trigger(form, "change");
  }
  const option = target.closest("button[data-customer-id]");
  if (option) {
    document.getElementById("id_customer_id").value = option.dataset.customerId;
    document.getElementById("customer-chosen").innerHTML = option.innerHTML;
    document.getElementById("customer-options").innerHTML = "";
    document.getElementById("customer-q").value = "";
  }
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// A new editor line gets a number no other line has (htmx adds it to the request).
document.addEventListener("htmx:configRequest", (event) => {
  if (event.detail.elt.id === "add-line") {
    event.detail.parameters.i = Date.now();
  }
});
