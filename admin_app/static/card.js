// The card form: Clover's fields make a single-use token in the browser,
// and only that token is posted to /billing/card.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  var problem = document.getElementById("card-error");

  function show(text) {
    problem.textContent = text;
    problem.hidden = false;
  }

  if (!form) {
    return;
  }
  if (typeof Clover === "undefined") {
    show("Clover's card form could not be loaded; check the connection and reload.");
    return;
  }

  var clover = new Clover(form.dataset.publicKey, {
    merchantId: form.dataset.merchantId,
  });
  var elements = clover.elements();
  var fields = {
    CARD_NUMBER: "#card-number",
    CARD_DATE: "#card-date",
    CARD_CVV: "#card-cvv",
    CARD_POSTAL_CODE: "#card-postal-code",
  };
  Object.keys(fields).forEach(function (kind) {
    elements.create(kind).mount(fields[kind]);
  });

  form.addEventListener("submit", function (event) {
    if (form.elements.token.value) {
      return;
    }
    event.preventDefault();
    problem.hidden = true;
    clover
      .createToken()
      .then(function (result) {
        if (result.errors && Object.keys(result.errors).length) {
          show(Object.values(result.errors).join(" "));
          return;
        }
        form.elements.token.value = result.token;
        form.submit();
      })
      .catch(function () {
        show("The card could not be checked; try again.");
      });
  });
})();
