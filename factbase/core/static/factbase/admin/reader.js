/* The source reader (factbase/admin/reader.py): the words selected in a source's text, as
   offsets in its stored text, into the forms that cite them; facts searched by name; the
   citation named in the address (#citation-<id>) shown in full.

   Each segment of the text carries the offset where it starts (data-start); what lies
   between segments (a quote's numbered link) is not part of the text. Offsets count
   characters as the server does (code points), not UTF-16 units, so a selection after an
   emoji still lands on the right words. The quote sent is read from the stored text itself
   (embedded as JSON), which the server checks against the offsets again. */
"use strict";
(function () {
  var reader, textBox, stored, forms, searchTimer;

  function chars(text) {
    return Array.from(text);
  }

  // The offset in the stored text of a boundary point of a selection.
  function offsetAt(node, offset) {
    var segments = textBox.querySelectorAll("[data-start]");
    for (var i = 0; i < segments.length; i++) {
      var segment = segments[i];
      var range = document.createRange();
      range.selectNodeContents(segment);
      var where = range.comparePoint(node, offset);
      var start = Number(segment.dataset.start);
      if (where < 0) return start;
      if (where === 0) {
        range.setEnd(node, offset);
        return start + chars(range.toString()).length;
      }
    }
    return Number(textBox.dataset.length);
  }

  // The selection as [start, end] in the stored text, spaces at either end left out; null
  // when nothing of the text is selected.
  function selectedSpan() {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    var range = selection.getRangeAt(0);
    if (!textBox.contains(range.commonAncestorContainer)) return null;
    var start = offsetAt(range.startContainer, range.startOffset);
    var end = offsetAt(range.endContainer, range.endOffset);
    while (start < end && /\s/.test(stored[start])) start++;
    while (end > start && /\s/.test(stored[end - 1])) end--;
    return start < end ? [start, end] : null;
  }

  function setField(name, value) {
    forms.forEach(function (form) {
      if (form.elements[name]) form.elements[name].value = value;
    });
  }

  // Read the current selection into the forms. Called on every selection change; a
  // selection elsewhere (in the forms themselves) keeps the words already taken.
  function takeSelection() {
    var span = selectedSpan();
    if (!span) return null;
    var quote = stored.slice(span[0], span[1]).join("");
    setField("quote", quote);
    setField("char_start", span[0]);
    setField("char_end", span[1]);
    document.getElementById("reader-quote").textContent = quote;
    document.getElementById("reader-none").hidden = true;
    forms.forEach(function (form) {
      form.querySelector("button[type=submit]").disabled = false;
    });
    return { quote: quote, start: span[0], end: span[1] };
  }

  function showMatches(results) {
    var group = document.getElementById("reader-matches");
    var select = document.getElementById("reader-fact");
    group.replaceChildren();
    results.forEach(function (result) {
      var option = document.createElement("option");
      option.value = result.id;
      option.textContent = result.text;
      group.appendChild(option);
    });
    group.label = results.length ? "Matching facts" : "No matching fact";
    if (results.length) select.value = results[0].id;
  }

  function search(term) {
    var url = reader.dataset.searchUrl + "?q=" + encodeURIComponent(term);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : { results: [] };
      })
      .then(function (data) {
        showMatches(data.results);
      });
  }

  // Every segment of the citation named in the address, marked as the current one.
  function showCitation() {
    var match = /^#citation-(\d+)$/.exec(window.location.hash);
    textBox.querySelectorAll("mark.current").forEach(function (mark) {
      mark.classList.remove("current");
    });
    if (!match) return;
    textBox.querySelectorAll("mark[data-citations]").forEach(function (mark) {
      if (mark.dataset.citations.split(" ").indexOf(match[1]) >= 0) {
        mark.classList.add("current");
      }
    });
  }

  function start() {
    textBox = document.querySelector("#source-reader .reader-text");
    var data = document.getElementById("reader-stored-text");
    if (!textBox || !data) return;
    stored = chars(JSON.parse(data.textContent));
    showCitation();
    window.addEventListener("hashchange", showCitation);
    reader = document.querySelector("#source-reader .reader-cite");
    if (!reader) return;
    forms = [
      document.getElementById("reader-cite-form"),
      document.getElementById("reader-new-form"),
    ].filter(Boolean);
    document.addEventListener("selectionchange", takeSelection);
    textBox.addEventListener("mouseup", takeSelection);
    var newForm = document.getElementById("reader-new-form");
    if (newForm) {
      newForm.addEventListener("submit", function () {
        newForm.elements.translation.value = document.getElementById("reader-translation").value;
      });
    }
    var box = document.getElementById("reader-fact-search");
    if (box) {
      box.addEventListener("input", function () {
        clearTimeout(searchTimer);
        var term = box.value.trim();
        if (term) searchTimer = setTimeout(search, 250, term);
      });
      box.addEventListener("keydown", function (event) {
        if (event.key === "Enter") event.preventDefault(); // not a submit of the citation
      });
    }
    window.factbaseReader = { takeSelection: takeSelection, search: search };
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
