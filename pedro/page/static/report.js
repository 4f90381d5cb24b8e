// pedro's HTML report: sorting and filtering of the trial tables.  The page is complete without this
// script; it only adds the controls (hidden until it runs) and reorders or hides rows.
(function () {
  "use strict";
  // Each row's sort key is read once per column (not in every comparison), the rows are sorted with their
  // keys and put back in one DocumentFragment: one change to the table, one layout, at 1,000 trials too.
  function sortKey(row, index, kind) {
    var cell = row.cells[index];
    if (!cell) { return kind === "text" ? "" : -Infinity; }
    if (kind === "number" || kind === "band") {
      var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent;
      var number = parseFloat(raw);
      return isNaN(number) ? -Infinity : number;
    }
    return cell.textContent.trim().toLowerCase();
  }
  function sortBy(table, header, index, kind) {
    var body = table.tBodies[0];
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var keyed = Array.prototype.map.call(body.rows, function (row, position) {
      return { row: row, key: sortKey(row, index, kind), position: position };
    });
    keyed.sort(function (a, b) {
      var order = a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
      return (ascending ? order : -order) || a.position - b.position;  // ties keep their order
    });
    Array.prototype.forEach.call(header.parentNode.cells, function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var fragment = document.createDocumentFragment();
    keyed.forEach(function (entry) { fragment.appendChild(entry.row); });
    body.appendChild(fragment);
  }
  function makeSortable(table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
      var kind = header.getAttribute("data-sort");
      if (!kind) { return; }
      var button = document.createElement("button");
      button.type = "button";
      while (header.firstChild) { button.appendChild(header.firstChild); }
      header.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, header, index, kind); });
    });
  }
  function applyFilters(box, table) {
    var bandFilter = box.querySelector("[data-filter=band]");  // none where the rubric has no bands
    var band = bandFilter ? bandFilter.value : "";
    var finding = box.querySelector("[data-filter=finding]").value;
    var text = box.querySelector("[data-filter=text]").value.trim().toLowerCase();
    var shown = 0, rows = table.tBodies[0].rows;
    Array.prototype.forEach.call(rows, function (row) {
      var rules = row.getAttribute("data-findings").trim();
      var keep = (!band || row.getAttribute("data-band") === band) &&
        (!finding || (finding === "*" ? rules !== "" : finding === "-" ? rules === "" :
                      (" " + rules + " ").indexOf(" " + finding + " ") >= 0)) &&
        (!text || row.cells[1].textContent.toLowerCase().indexOf(text) >= 0);
      if (row.hidden === keep) { row.hidden = !keep; }  // only rows that change: no needless restyling
      if (keep) { shown += 1; }
    });
    box.querySelector("output").textContent = "showing " + shown + " of " + rows.length + " trial(s)";
  }
  Array.prototype.forEach.call(document.querySelectorAll(".filters[data-table]"), function (box) {
    var table = document.getElementById(box.getAttribute("data-table"));
    if (!table) { return; }
    makeSortable(table);
    Array.prototype.forEach.call(box.querySelectorAll("select, input"), function (control) {
      control.addEventListener("input", function () { applyFilters(box, table); });
      control.addEventListener("change", function () { applyFilters(box, table); });
    });
    box.hidden = false;
    applyFilters(box, table);
  });
  // Printing shows every row and the change logs, whatever was filtered or folded on screen.
  var folded = [];
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details:not([open])"), function (d) {
      d.open = true; folded.push(d);
    });
    Array.prototype.forEach.call(document.querySelectorAll(".trials tbody tr[hidden]"), function (row) {
      row.setAttribute("data-was-hidden", ""); row.hidden = false;
    });
  });
  window.addEventListener("afterprint", function () {
    folded.forEach(function (d) { d.open = false; }); folded = [];
    Array.prototype.forEach.call(document.querySelectorAll("tr[data-was-hidden]"), function (row) {
      row.removeAttribute("data-was-hidden"); row.hidden = true;
    });
  });
}());
