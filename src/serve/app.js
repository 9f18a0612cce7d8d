// Progressive enhancement: click a header of a table.sortable to sort it in place.
// Pages are complete without this (the compare page also sorts by link).
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('table.sortable').forEach(function (table) {
    var heads = table.querySelectorAll('thead th');
    heads.forEach(function (th, col) {
      th.classList.add('sortable');
      th.addEventListener('click', function (ev) {
        ev.preventDefault();
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var dir = th.dataset.dir === 'asc' ? -1 : 1;
        th.dataset.dir = dir === 1 ? 'asc' : 'desc';
        rows.sort(function (a, b) {
          var x = a.cells[col], y = b.cells[col];
          var xv = x && x.dataset.v !== undefined ? parseFloat(x.dataset.v) : NaN;
          var yv = y && y.dataset.v !== undefined ? parseFloat(y.dataset.v) : NaN;
          if (!isNaN(xv) || !isNaN(yv)) {
            if (isNaN(xv)) return 1;
            if (isNaN(yv)) return -1;
            return (xv - yv) * dir;
          }
          return (x ? x.textContent : '').localeCompare(y ? y.textContent : '', 'zh') * dir;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
});
