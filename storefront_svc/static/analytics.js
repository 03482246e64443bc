// Google Analytics 4, loaded only when the store or the platform sets a
// measurement id. The id comes from this script tag's data attribute, so the
// pages need no inline script and the CSP can forbid them.
(function () {
  "use strict";
  var id = document.currentScript && document.currentScript.dataset.measurementId;
  if (!id) {
    return;
  }
  window.dataLayer = window.dataLayer || [];
  function gtag() {
    window.dataLayer.push(arguments);
  }
  gtag("js", new Date());
  gtag("config", id, { anonymize_ip: true });
})();
