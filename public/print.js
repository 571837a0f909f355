// The Print button of the pages the relay draws (the workshop record): a script file, since the pages' policy
// allows no inline script.
document.addEventListener("click", function (e) {
  if (e.target.closest("[data-print]")) window.print();
});
