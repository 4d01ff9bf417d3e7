// Updates the weighted total (out of 100) of the review page as the reviewer types.
// The same formula as appels.services.weighted_total; the server recomputes it on save.
(function () {
  "use strict";
  function update() {
    var output = document.getElementById("review-total");
    if (!output) { return; }
    var inputs = document.querySelectorAll("input.review-score");
    var weighted = 0, weights = 0, scored = 0;
    inputs.forEach(function (input) {
      var max = parseFloat(input.dataset.max), weight = parseFloat(input.dataset.weight);
      var value = parseFloat(input.value);
      if (input.value === "" || isNaN(value) || value < 0 || value > max) { return; }
      weighted += value / max * weight;
      weights += weight;
      scored += 1;
    });
    if (!scored) { output.textContent = "—"; return; }
    var total = Math.round(weighted / weights * 10000) / 100;
    var text = total.toLocaleString(document.documentElement.lang || "fr", {
      minimumFractionDigits: 2, maximumFractionDigits: 2
    });
    output.textContent = text + (scored < inputs.length ? " (" + scored + "/" + inputs.length + ")" : "");
  }
  document.addEventListener("input", function (event) {
    if (event.target.classList && event.target.classList.contains("review-score")) { update(); }
  });
  document.addEventListener("DOMContentLoaded", update);
})();
