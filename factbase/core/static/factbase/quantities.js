/*
 * The amount inputs of the admin: beside each, the value as it will be stored, with its
 * qualifier and currency ("≈ €5,800,000,000"), updated as the editor types.
 *
 * The server reads the amount (factbase/core/quantities.py) and is the only judge of it;
 * this file repeats its grammar so that the editor sees the reading before saving:
 * digits grouped by commas or spaces, a scale (k, m, bn...), a currency symbol or ISO
 * code, a qualifier word. tests/test_quantities.py runs both over the same inputs and
 * checks that they agree. Nothing here changes what is sent: the input's text is.
 */
(function (root) {
  "use strict";

  var SYMBOLS = { "€": "EUR", $: "USD", "£": "GBP" };
  var CURRENCY_SYMBOLS = { EUR: "€", USD: "$", GBP: "£" };
  var AMBIGUOUS_SYMBOLS = { "¥": "JPY or CNY" };
  var SCALES = {
    k: 3, thousand: 3,
    m: 6, mn: 6, mln: 6, million: 6,
    b: 9, bn: 9, bln: 9, billion: 9,
    t: 12, tn: 12, trillion: 12
  };
  var QUALIFIER_WORDS = {
    about: "approximate", approximately: "approximate", "approx.": "approximate",
    approx: "approximate", around: "approximate", roughly: "approximate",
    circa: "approximate", "~": "approximate", "≈": "approximate",
    "at least": "at_least", "more than": "at_least", over: "at_least",
    "≥": "at_least", ">=": "at_least", ">": "at_least",
    "at most": "at_most", "up to": "at_most", "less than": "at_most", under: "at_most",
    "≤": "at_most", "<=": "at_most", "<": "at_most"
  };
  var QUALIFIER_SIGNS = { approximate: "≈ ", at_least: "≥ ", at_most: "≤ " };
  var QUALIFIER_LABELS = {
    exact: "exactly", approximate: "approximately", at_least: "at least",
    at_most: "at most", range: "range"
  };
  var MAX_LENGTH = 100;

  function escape(word) {
    return word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  function alternatives(words) {
    // Longest first, so that "million" is not read as "m" followed by "illion".
    return Object.keys(words)
      .sort(function (a, b) { return b.length - a.length; })
      .map(escape)
      .join("|");
  }

  var CURRENCY = "[€$£¥]|[A-Za-z]{3}";
  // The same pattern as the server's, group for group. Without the "u" flag, "i" folds
  // ASCII letters only, as the server's ASCII flag does.
  var AMOUNT = new RegExp(
    "^(?:(" + alternatives(QUALIFIER_WORDS) + ")(?![A-Za-z]) ?)?" +
    "([-−])?" +
    "(?:(" + CURRENCY + ") ?)?" +
    "([0-9]{1,3}([, ])[0-9]{3}(?:\\5[0-9]{3})*|[0-9]+)" +
    "(?:\\.([0-9]+))?" +
    "(?: ?(" + alternatives(SCALES) + ")(?![A-Za-z]))?" +
    "(?: ?(" + CURRENCY + "))?$",
    "i"
  );
  var SPACES = /[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g;

  function isCurrencyCode(code) {
    // The list of ISO 4217 codes stays on the server; the preview checks the shape.
    return /^[A-Z]{3}$/.test(code);
  }

  function currencyOf(written) {
    if (!written) return "";
    if (AMBIGUOUS_SYMBOLS[written]) {
      throw new Error(written + " could be " + AMBIGUOUS_SYMBOLS[written] + ": write the code instead.");
    }
    if (SYMBOLS[written]) return SYMBOLS[written];
    var code = written.toUpperCase();
    if (!isCurrencyCode(code)) throw new Error("“" + written + "” is not an ISO 4217 currency code.");
    return code;
  }

  function shift(whole, fraction, scale) {
    var digits = whole + fraction;
    var point = whole.length + scale;
    while (digits.length < point) digits += "0";
    return [
      digits.slice(0, point).replace(/^0+/, "") || "0",
      digits.slice(point).replace(/0+$/, "")
    ];
  }

  /* The amount `text` states: {value: plain decimal text, currency, qualifier}, or an
     Error with the server's message. */
  function parseAmount(text, maxDigits, decimalPlaces) {
    maxDigits = maxDigits === undefined ? 24 : maxDigits;
    decimalPlaces = decimalPlaces === undefined ? 4 : decimalPlaces;
    var length = Array.from(text).length;
    if (length > MAX_LENGTH) throw new Error("Too long for an amount (" + length + " characters).");
    var normal = text.replace(SPACES, " ").replace(/^ +| +$/g, "");
    if (!normal) throw new Error("Enter an amount.");
    var m = AMOUNT.exec(normal);
    if (!m) {
      throw new Error(
        "“" + normal + "” is not an amount: write digits (600000000, 600,000,000), a " +
        "scale (600M, 5.8 bn), a currency (€, $, £ or an ISO code) and a qualifier " +
        "(about, at least, at most), nothing else."
      );
    }
    if (m[3] && m[8]) throw new Error("Give the currency once, before or after the number.");
    var currency = currencyOf(m[3] || m[8] || "");
    var whole = m[4].replace(/[, ]/g, "");
    var scale = m[7] ? SCALES[m[7].toLowerCase()] : 0;
    var parts = shift(whole, m[6] || "", scale);
    if (parts[1].length > decimalPlaces) {
      throw new Error("Too many decimal places: at most " + decimalPlaces + "; nothing is rounded.");
    }
    if (parts[0] !== "0" && parts[0].length > maxDigits - decimalPlaces) {
      throw new Error(
        "Too large: at most " + (maxDigits - decimalPlaces) + " digits before the decimal point."
      );
    }
    var value = parts[1] ? parts[0] + "." + parts[1] : parts[0];
    if (m[2] && value !== "0") value = "-" + value;
    return {
      value: value,
      currency: currency,
      qualifier: m[1] ? QUALIFIER_WORDS[m[1].toLowerCase()] : ""
    };
  }

  function formatNumber(value) {
    var negative = value.charAt(0) === "-";
    var parts = (negative ? value.slice(1) : value).split(".");
    var grouped = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "-" : "") + grouped + (parts[1] ? "." + parts[1] : "");
  }

  function formatMoney(text, currency) {
    if (!currency) return text;
    var sign = "";
    if (text.charAt(0) === "-") {
      sign = "-";
      text = text.slice(1);
    }
    var symbol = CURRENCY_SYMBOLS[currency];
    return symbol ? sign + symbol + text : sign + currency + " " + text;
  }

  /* One amount as the server shows it: qualifier, currency, grouped digits. */
  function formatAmount(value, qualifier, currency) {
    return (QUALIFIER_SIGNS[qualifier] || "") + formatMoney(formatNumber(value), currency);
  }

  /* What the input will store, with the qualifier and currency chosen beside it, or why
     it will be refused (the server's agreement rule, factbase.core.quantities.agree). */
  function preview(text, spec, chosen) {
    var amount = parseAmount(text, spec.maxDigits, spec.decimalPlaces);
    var qualifier = chosen.qualifier || "";
    var currency = spec.currencyIs || chosen.currency || "";
    if (amount.currency) {
      if (spec.currencyIs && amount.currency !== spec.currencyIs) {
        throw new Error("This amount is in " + spec.currencyIs + "; the text says " + amount.currency + ".");
      } else if (!spec.currencyIs && !spec.currencyField) {
        throw new Error("This amount takes no currency; the text gives one (" + amount.currency + ").");
      } else if (currency && currency !== amount.currency) {
        throw new Error("The text says " + amount.currency + ", but the currency chosen is " + currency + ".");
      }
      currency = amount.currency;
    }
    if (amount.qualifier) {
      if (!spec.qualifierField) {
        throw new Error("This amount takes no qualifier; the text gives one.");
      } else if (qualifier && qualifier !== amount.qualifier) {
        throw new Error(
          "The text says " + QUALIFIER_LABELS[amount.qualifier] + ", but the qualifier chosen is " +
          (QUALIFIER_LABELS[qualifier] || qualifier) + "."
        );
      }
      qualifier = amount.qualifier;
    }
    return formatAmount(amount.value, qualifier === "range" ? "" : qualifier, currency);
  }

  var api = {
    parseAmount: parseAmount,
    formatNumber: formatNumber,
    formatAmount: formatAmount,
    preview: preview
  };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = api; // read by node in tests/test_quantities.py
  }
  if (typeof document === "undefined") return;

  // --- the page -------------------------------------------------------------------------

  function partner(input, name) {
    if (!name) return null;
    // An inline row's fields share a prefix ("investments-0-"): the partner has it too.
    var prefix = input.name.slice(0, input.name.length - input.dataset.field.length);
    return input.form ? input.form.elements.namedItem(prefix + name) : null;
  }

  function update(input) {
    var output = document.getElementById(input.id + "_preview");
    if (!output) return;
    var data = input.dataset;
    var spec = {
      maxDigits: Number(data.maxDigits),
      decimalPlaces: Number(data.decimalPlaces),
      qualifierField: data.qualifierField || "",
      currencyField: data.currencyField || "",
      currencyIs: data.currencyIs || ""
    };
    var qualifier = partner(input, spec.qualifierField);
    var currency = partner(input, spec.currencyField);
    var chosen = {
      qualifier: qualifier ? qualifier.value : "",
      currency: currency ? currency.value : ""
    };
    output.classList.remove("errornote-inline");
    if (!input.value.trim()) {
      output.textContent = "";
      return;
    }
    try {
      output.textContent = "Will be stored as " + preview(input.value, spec, chosen);
    } catch (error) {
      output.textContent = error.message;
      output.classList.add("errornote-inline");
    }
  }

  function updateAll() {
    document.querySelectorAll("input[data-amount]").forEach(update);
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("input[data-amount]")) update(event.target);
  });
  // A qualifier or currency chosen changes the previews of the amounts beside it. The
  // searchable currency menus tell jQuery, not the DOM, when they change.
  document.addEventListener("change", updateAll);
  document.addEventListener("DOMContentLoaded", function () {
    updateAll();
    if (root.django && root.django.jQuery) root.django.jQuery(document).on("change", "select", updateAll);
  });
  document.addEventListener("formset:added", updateAll);
})(this);
