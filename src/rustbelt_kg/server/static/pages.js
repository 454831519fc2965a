// Progressive help for the article page; every page works without it.
// Escape closes an open claim popover by moving focus back to the page.
document.addEventListener("keydown", function (event) {
  if (event.key === "Escape" && document.activeElement &&
      document.activeElement.closest(".qw")) {
    document.activeElement.blur();
  }
});
