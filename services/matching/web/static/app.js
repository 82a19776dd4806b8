// credbridge's recruiter pages: progressive enhancements only; every page works without this script.
"use strict";
(function () {
  // The role editor's competency autocomplete: the skills vocabulary (ESCO) as one types.
  var list = document.getElementById("competency-options");
  var concepts = {};
  var timer = null;
  function fill(options) {
    list.textContent = "";
    options.forEach(function (o) {
      concepts[o.label] = o.concept;
      var option = document.createElement("option");
      option.value = o.label;
      list.appendChild(option);
    });
  }
  function lookup(input) {
    var q = input.value.trim();
    if (q.length < 2) { return Promise.resolve(); }
    return fetch("/app/competencies?q=" + encodeURIComponent(q), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : []; }).then(fill).catch(function () {});
  }
  function apply(input) {
    var concept = concepts[input.value];
    var prefix = input.id.replace(/competency$/, "");
    if (!concept) { return; }
    [["framework", concept.framework], ["uri", concept.uri], ["code", concept.code]].forEach(function (pair) {
      var field = document.getElementById(prefix + "concept_" + pair[0]);
      if (field) { field.value = pair[1] || ""; }
    });
  }
  function chosen(input) {
    // A label typed (or pasted) faster than the list was fetched is looked up before its concept is filled in.
    if (concepts[input.value]) { apply(input); } else { lookup(input).then(function () { apply(input); }); }
  }
  if (list) {
    document.querySelectorAll('input[list="competency-options"]').forEach(function (input) {
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { lookup(input); }, 200);
      });
      input.addEventListener("change", function () { chosen(input); });
    });
  }

  // The ranked list: say when applications moved since the list was opened.
  var moved = document.getElementById("moved");
  if (moved && moved.dataset.movedUrl) {
    setInterval(function () {
      fetch(moved.dataset.movedUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (!body || !body.moved) { return; }
          moved.querySelector(".moved-text").textContent = body.moved + (body.moved === 1 ? " application" : " applications") +
            " moved since you opened this list (scored or re-scored since); they are left out of it.";
          moved.classList.remove("hidden");
        }).catch(function () {});
    }, 30000);
  }

  // A form returned with errors: take the keyboard to its summary.
  var summary = document.getElementById("form-errors");
  if (summary) { summary.focus(); }
})();
