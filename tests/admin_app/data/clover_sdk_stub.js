// A stand-in for Clover's iframe SDK (https://checkout.clover.com/sdk.js),
// served by the test's stub on 127.0.0.1. It offers the calls our card form
// makes (new Clover(key, {merchantId}), elements().create(kind).mount(sel),
// createToken()) and answers as Clover documents: {token} or {errors}.
(function () {
  "use strict";

  function Clover(key, options) {
    if (!key || !options || !options.merchantId) {
      throw new Error("Clover needs a key and a merchantId");
    }
    this.fields = {};
  }

  Clover.prototype.elements = function () {
    var fields = this.fields;
    return {
      create: function (kind) {
        return {
          mount: function (selector) {
            var input = document.createElement("input");
            input.setAttribute("aria-label", kind);
            document.querySelector(selector).appendChild(input);
            fields[kind] = input;
          },
        };
      },
    };
  };

  Clover.prototype.createToken = function () {
    var number = (this.fields.CARD_NUMBER.value || "").replace(/\s+/g, "");
    if (number.length < 12) {
      return Promise.resolve({ errors: { CARD_NUMBER: "Card number is invalid" } });
    }
    return Promise.resolve({ token: "clv_1TSTbrowser" + number.slice(-4) });
  };

  window.Clover = Clover;
})();
