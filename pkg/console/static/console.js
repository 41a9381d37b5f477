// Countdowns to a session's expiry, in emulated time: the page asks the
// emulator for its time every two seconds, so moving the clock shows at once.
(function () {
  "use strict";
  var offset = 0; // emulated time minus browser time, in ms
  function sync() {
    fetch("/_console/now", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) { if (j) { offset = Date.parse(j.now) - Date.now(); tick(); } })
      .catch(function () {});
  }
  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll("[data-expires]").forEach(function (el) {
      if (el.id === "root-session") { return; }
      var left = Math.floor((Date.parse(el.dataset.expires) - now) / 1000);
      if (left <= 0) { el.textContent = "expired"; el.classList.add("expired"); return; }
      var m = Math.floor(left / 60), s = left % 60;
      el.textContent = m + "m " + (s < 10 ? "0" : "") + s + "s";
    });
    var clock = document.getElementById("emulated-now");
    if (clock) { clock.textContent = new Date(now).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC"); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var initial = Date.parse(document.body.dataset.now);
    if (!isNaN(initial)) { offset = initial - Date.now(); }
    tick();
    setInterval(tick, 1000);
    if (document.querySelector("header nav")) { sync(); setInterval(sync, 2000); }
  });
})();
