// Progressive help for the article page; every page works without it.
//
// On a touch screen there is no hover: the first tap on a highlighted quote shows the
// facts of its claims (as focus does), the second follows the link to the claim.
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a.q") : null;
  if (!link || !window.matchMedia("(hover: none)").matches) {
    return;
  }
  if (link.dataset.shown !== "yes") {
    event.preventDefault();
    document.querySelectorAll("a.q[data-shown]").forEach(function (other) {
      delete other.dataset.shown;
    });
    link.dataset.shown = "yes";
    link.focus();
  }
});

// Escape closes an open popover by moving focus back to the page.
document.addEventListener("keydown", function (event) {
  if (event.key === "Escape" && document.activeElement &&
      document.activeElement.closest(".qw")) {
    document.activeElement.blur();
  }
});
