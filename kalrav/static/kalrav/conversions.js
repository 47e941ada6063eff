// Kalrav conversions, for the brand's own pages. Include it on every page a tracked link leads to:
//   <script src="https://kalrav.example/static/kalrav/conversions.js"
//           data-endpoint="https://kalrav.example/conversions/<workspace>/page/" data-days="30"></script>
// and report a conversion where it happens: kalrav.convert("registration", "<your own event id>").
// It keeps the click id Kalrav adds to the address (kalrav_click) for the attribution window and
// sends no cookie and nothing else. Sales with a value are reported by the brand's server, signed.
(function () {
  var script = document.currentScript;
  var endpoint = script && script.dataset.endpoint;
  var days = Number((script && script.dataset.days) || 30);
  var KEY = "kalrav_click";
  try {
    var fromAddress = new URLSearchParams(location.search).get(KEY);
    if (fromAddress) localStorage.setItem(KEY, JSON.stringify({ id: fromAddress, until: Date.now() + days * 864e5 }));
  } catch (e) { /* storage refused: conversions are then not attributed */ }
  function click() {
    try {
      var kept = JSON.parse(localStorage.getItem(KEY));
      return kept && kept.until > Date.now() ? kept.id : null;
    } catch (e) { return null; }
  }
  window.kalrav = {
    convert: function (kind, eventId) {
      var id = click();
      if (!id || !endpoint || !eventId) return false;
      return navigator.sendBeacon(endpoint, JSON.stringify({ kind: kind, event_id: String(eventId), click: id }));
    },
  };
})();
