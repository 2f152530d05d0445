// On a narrow screen every table is shown as cards (console.css): each cell is labelled with
// its column's header, copied here from the table's <thead>. A file, not an inline script, so
// the Content-Security-Policy can forbid inline script.
document.querySelectorAll("table").forEach(function (table) {
  var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
    return th.textContent.trim();
  });
  if (!heads.length) return;
  table.querySelectorAll("tbody tr, tr:not(thead tr)").forEach(function (tr) {
    Array.prototype.forEach.call(tr.children, function (cell, i) {
      if (heads[i] && !cell.dataset.label) cell.dataset.label = heads[i];
    });
  });
});
