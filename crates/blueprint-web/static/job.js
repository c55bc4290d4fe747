// A running job's page: follows the job's progress (server-sent events) and adds each line as
// it comes, then reloads the page for the result. Without this script the page reloads itself
// every few seconds while the job runs.
(function () {
  "use strict";
  var list = document.getElementById("progress");
  if (!list || !window.EventSource) {
    return;
  }
  var after = list.getAttribute("data-after") || "0";
  var source = new EventSource(
    list.getAttribute("data-events") + "?after=" + encodeURIComponent(after)
  );
  source.addEventListener("progress", function (message) {
    var data = JSON.parse(message.data);
    var item = document.createElement("li");
    item.textContent = data.time + " " + data.text;
    list.appendChild(item);
  });
  source.addEventListener("end", function () {
    source.close();
    window.location.reload();
  });
})();
