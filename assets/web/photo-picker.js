// CityLoop's photo picker for the web page: a native <input type=file> whose files the browser
// PUTs straight from disk to the app server (shared/photo_uploads.py), instead of Flet's picker,
// whose Dart code reads a whole 6 MB photo into memory before anything is sent.
//
// The channel with the Python session is the browser's localStorage, which Flet's
// SharedPreferences writes on the web (keys "flutter.<key>", JSON values):
// - this script writes "flutter.cityloop.photo_picker" = "1" at load: the session reads it to know
//   the page can pick (elsewhere, e.g. a packaged app, it keeps Flet's FilePicker);
// - a tap on "add photo" makes the session write "flutter.cityloop.photo_pick" = {"choice": URL};
//   this script sees the write and opens the chooser at once, still within the tap's user
//   activation (the same window Flet's own picker relies on);
// - the chosen files' names and sizes are POSTed to that one-time URL; the session judges them
//   (the refusals are its own, named, in the person's language) and answers each file's upload
//   URL or a refusal; each accepted file is then PUT to its URL, one after another. The server
//   reports progress, completion and failures to the session: nothing comes back through here.
(function () {
  "use strict";
  var READY_KEY = "flutter.cityloop.photo_picker";
  var PICK_KEY = "flutter.cityloop.photo_pick";
  var storage;
  try { storage = window.localStorage; } catch (e) { return; } // storage blocked: Flet's picker stays
  if (!storage) return;

  function request(raw) {
    try {
      var inner = JSON.parse(raw); // Flutter stores a string as its JSON text
      var req = JSON.parse(inner);
      return req && typeof req.choice === "string" ? req : null;
    } catch (e) { return null; }
  }

  function sameOrigin(url) {
    try { return new URL(url, window.location.href).origin === window.location.origin; } catch (e) { return false; }
  }

  function upload(file, url) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("PUT", url);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.onloadend = function () { resolve(); }; // a refusal reaches the session from the server
      xhr.send(file); // a File is a Blob: streamed from disk
    });
  }

  function announce(choiceUrl, files) {
    var body = JSON.stringify({ files: files.map(function (f) { return { name: f.name, size: f.size }; }) });
    return fetch(choiceUrl, { method: "POST", headers: { "Content-Type": "application/json" }, body: body })
      .then(function (answer) { return answer.ok ? answer.json() : { files: [] }; })
      .then(function (answer) {
        var urls = (answer && answer.files) || [];
        var next = Promise.resolve();
        files.forEach(function (file, i) {
          var url = urls[i] && urls[i].upload_url;
          if (typeof url === "string" && sameOrigin(url)) next = next.then(function () { return upload(file, url); });
        });
        return next;
      })
      .catch(function () { /* the app server is gone: the page's connection notice says so */ });
  }

  function pick(req) {
    if (!sameOrigin(req.choice)) return;
    var input = document.createElement("input");
    input.type = "file";
    input.accept = "image/*";
    input.multiple = true;
    input.id = "cityloop-photo-input";
    input.style.cssText = "position:fixed;left:-1000px;top:0;width:1px;height:1px;opacity:0";
    function done() { if (input.parentNode) input.parentNode.removeChild(input); }
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      done();
      if (files.length) announce(req.choice, files);
    });
    input.addEventListener("cancel", done);
    (document.body || document.documentElement).appendChild(input);
    input.click();
  }

  var nativeSetItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (key, value) {
    var result = nativeSetItem.apply(this, arguments);
    if (this === storage && key === PICK_KEY) {
      var req = request(value);
      if (req) {
        try { pick(req); } catch (e) { /* never break Flutter's own write */ }
      }
    }
    return result;
  };
  try { nativeSetItem.call(storage, READY_KEY, JSON.stringify("1")); } catch (e) { /* storage full */ }
})();
