// The upload page. Files over the limit are stopped here, before a byte is sent (the server
// refuses them too, from their Content-Length). With S3 storage the file goes straight from
// the browser to the bucket with a presigned POST (its policy limits the size; S3 enforces
// it), and the form then sends our server only the object's key.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) return;
  var maxBytes = parseInt(form.dataset.maxBytes, 10);
  var status = document.getElementById("upload-status");
  var configElement = document.getElementById("direct-upload");
  var direct = configElement ? JSON.parse(configElement.textContent) : null;
  var input = direct ? document.getElementById("direct-file") : form.querySelector("input[type=file]");
  if (!input) return;

  function megabytes(bytes) { return (bytes / 1024 / 1024).toFixed(1) + " MB"; }

  function check() {
    var file = input.files && input.files[0];
    var message = "";
    if (file && maxBytes && file.size > maxBytes) {
      message = file.name + ": " + megabytes(file.size) + " is larger than the " +
        Math.floor(maxBytes / 1024 / 1024) + " MB upload limit. Link your AWS account to ingest larger bills straight from S3.";
    }
    input.setCustomValidity(message);
    if (status) status.textContent = message;
    return message === "";
  }
  input.addEventListener("change", check);

  if (!direct) return;

  // The same rule as the server's (Django's get_valid_filename on an ASCII name leaves it as is).
  function safeName(name) {
    var cleaned = name.trim().replace(/[^-A-Za-z0-9_.]/g, "_");
    return cleaned === "" || cleaned === "." || cleaned === ".." ? "upload" : cleaned;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!check()) { input.reportValidity(); return; }
    var file = input.files[0];
    var key = direct.key_prefix + safeName(file.name);
    var body = new FormData();
    Object.keys(direct.fields).forEach(function (name) { body.append(name, direct.fields[name]); });
    body.append("key", key);
    body.append("file", file);  // S3 wants the file last
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    status.textContent = "Uploading " + file.name + " (" + megabytes(file.size) + ") to storage…";
    fetch(direct.url, { method: "POST", body: body })
      .then(function (response) {
        if (response.ok) {
          form.querySelector("input[name=key]").value = key;
          status.textContent = "Uploaded; starting the ingestion…";
          form.submit();
          return;
        }
        return response.text().then(function (text) {
          var code = (/<Code>([^<]+)<\/Code>/.exec(text) || [])[1] || response.status;
          status.textContent = code === "EntityTooLarge"
            ? file.name + " is larger than the " + Math.floor(maxBytes / 1024 / 1024) + " MB upload limit."
            : "Storage refused the upload (" + code + "). Please try again.";
          button.disabled = false;
        });
      })
      .catch(function () {
        status.textContent = "The upload to storage failed (network). Please try again.";
        button.disabled = false;
      });
  });
})();
