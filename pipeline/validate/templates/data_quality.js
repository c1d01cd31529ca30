/* Sorting and filtering for the reviewer's page. Progressive enhancement: without this script the
   tables are complete and readable; with it, column headings become sort buttons and tables marked
   data-filterable get a filter box. Cell text is only read and compared, never parsed as markup. */
(function () {
  "use strict";
  function key(cell) {
    var raw = cell.getAttribute("data-sort");
    var text = raw !== null ? raw : cell.textContent.trim();
    var n = Number(text.replace(/[,%\s]/g, ""));
    return text !== "" && !isNaN(n) ? { n: n } : { s: text.toLowerCase() };
  }
  function compare(a, b) {
    if ("n" in a && "n" in b) return a.n - b.n;
    if ("n" in a) return -1;
    if ("n" in b) return 1;
    return a.s < b.s ? -1 : a.s > b.s ? 1 : 0;
  }
  function sortable(table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.forEach(function (r, i) { r._i = i; });
        rows.sort(function (x, y) {
          var c = compare(key(x.cells[col]), key(y.cells[col]));
          return (asc ? c : -c) || x._i - y._i;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  function filterable(table) {
    var box = document.getElementById(table.id + "-filter");
    if (!box) return;
    var input = box.querySelector("input");
    var status = box.querySelector("[aria-live]");
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    function apply() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (r) {
        var text = r.textContent.toLowerCase();
        var hit = words.every(function (w) { return text.indexOf(w) >= 0; });
        r.hidden = !hit;
        if (hit) shown += 1;
      });
      status.textContent = "Showing " + shown + " of " + rows.length + " rows.";
    }
    input.addEventListener("input", apply);
    box.hidden = false;
    apply();
  }
  document.querySelectorAll("table[data-sortable]").forEach(sortable);
  document.querySelectorAll("table[data-filterable]").forEach(filterable);
})();
