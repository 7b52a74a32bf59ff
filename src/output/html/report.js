// Optional: a filter box over the finding cards. The report is complete without it.
(function () {
  var box = document.getElementById("filter");
  var cards = document.querySelectorAll(".card");
  var shown = document.getElementById("shown");
  if (!box || !cards.length) { return; }
  box.hidden = false;
  var timer = null;
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      var n = 0;
      cards.forEach(function (card) {
        var text = card.textContent.toLowerCase();
        var hit = words.every(function (w) { return text.indexOf(w) >= 0; });
        card.hidden = !hit;
        if (hit) { n += 1; }
      });
      shown.textContent = words.length ? n + " of " + cards.length + " shown" : "";
    }, 150);
  });
}());
