// CityLoop's connection notice, in the page around the Flutter view (not in Python: when the
// browser loses the app server, Python cannot draw anything on this page any more).
//
// Flet 1.0.5's web client reconnects by itself and re-attaches the same server session, so what
// was typed before the outage is kept. Meanwhile it replaces the app with a spinner and the words
// "Working..." (fixed in its web entry point, not configurable), and "Server disconnected." goes to
// the console only. This script follows the Flet client's websocket (`/ws`) and the browser's
// online state:
// - socket down: a cover over Flet's "Working..." screen, in the person's language;
// - browser offline but the socket still up: a banner on top, the form stays usable;
// - both fine again: nothing.
// It must run before flutter_bootstrap.js opens the socket (a plain <script> in <head>).
(function () {
  "use strict";
  var WORDS = {
    "zh-CN": "网络已断开，正在重新连接…… 已填写的内容会保留，连接恢复后再提交。",
    "en": "No connection. Reconnecting… What you typed is kept: submit once the connection is back."
  };
  // The apps keep their language in SharedPreferences: Flutter stores it in localStorage as
  // "flutter.<key>" with a JSON value. Each app has its own origin (port), so one key is there.
  var LOCALE_KEYS = ["flutter.cityloop.citizen.locale", "flutter.cityloop.grid.locale"];
  var SHOW_AFTER_MS = 600; // a socket replaced at once (a reload) is not an outage
  // Dark red with white words: 6.6:1; the cover: near-black on white, 17:1.
  var BANNER = "position:fixed;left:0;right:0;top:0;bottom:auto;z-index:2147483647;pointer-events:none;" +
    "background:#b71c1c;color:#fff;padding:10px 14px;text-align:center;box-shadow:0 2px 6px rgba(0,0,0,.3);" +
    "display:block;font:600 16px/1.4 'Noto Sans SC','Noto Sans CJK SC',sans-serif";
  var COVER = "position:fixed;inset:0;z-index:2147483647;background:#fff;color:#1a1a1a;display:flex;" +
    "align-items:center;justify-content:center;text-align:center;padding:32px;box-sizing:border-box;" +
    "font:600 20px/1.5 'Noto Sans SC','Noto Sans CJK SC',sans-serif";

  function locale() {
    for (var i = 0; i < LOCALE_KEYS.length; i++) {
      try {
        var saved = JSON.parse(window.localStorage.getItem(LOCALE_KEYS[i]) || "null");
        if (typeof saved === "string") return saved.toLowerCase().indexOf("en") === 0 ? "en" : "zh-CN";
      } catch (e) { /* storage blocked or not JSON: fall through */ }
    }
    return "zh-CN"; // the apps' own default language
  }

  var notice = null;
  function element() {
    if (!notice) {
      notice = document.createElement("div");
      notice.id = "cityloop-offline";
      notice.setAttribute("role", "alert");
      notice.setAttribute("aria-live", "assertive");
      document.body.appendChild(notice);
    }
    return notice;
  }

  var browserOnline = navigator.onLine !== false;
  var socketUp = true; // until a socket to the app server is seen closing
  var leaving = false;
  var shown = false;
  var timer = null; // a pending show: not restarted by each failed reconnect (Flet retries every 500 ms)

  function draw() {
    var el = element();
    el.lang = locale(); // read each time: the person may have switched language meanwhile
    el.textContent = WORDS[el.lang];
    el.setAttribute("data-mode", socketUp ? "banner" : "cover");
    el.style.cssText = socketUp ? BANNER : COVER;
    document.documentElement.setAttribute("data-cityloop-connection", "down");
  }

  function show() {
    timer = null;
    shown = true;
    draw();
  }

  function render() {
    if (!document.body) return;
    if ((!browserOnline || !socketUp) && !leaving) {
      if (shown) draw(); // the mode may have changed (socket back, browser still offline)
      else if (!timer) timer = setTimeout(show, SHOW_AFTER_MS);
      return;
    }
    if (timer) { clearTimeout(timer); timer = null; }
    shown = false;
    if (notice) notice.style.display = "none";
    document.documentElement.setAttribute("data-cityloop-connection", "up");
  }

  window.addEventListener("offline", function () { browserOnline = false; render(); });
  window.addEventListener("online", function () { browserOnline = true; render(); });
  window.addEventListener("pagehide", function () { leaving = true; render(); });
  document.addEventListener("DOMContentLoaded", render);

  // Follow the Flet client's socket: a WebSocket to this page's server whose path ends in /ws.
  var NativeWebSocket = window.WebSocket;
  var openSockets = 0;
  function isAppSocket(url) {
    try {
      var u = new URL(String(url), window.location.href);
      return u.host === window.location.host && /\/ws$/.test(u.pathname);
    } catch (e) { return false; }
  }
  function TrackedWebSocket(url, protocols) {
    var socket = protocols === undefined ? new NativeWebSocket(url) : new NativeWebSocket(url, protocols);
    if (isAppSocket(url)) {
      // Up while any app socket is open: Flet may open its new socket before the old one's
      // close event arrives, and that late close must not cover a working app.
      var opened = false;
      socket.addEventListener("open", function () { opened = true; openSockets += 1; socketUp = true; render(); });
      socket.addEventListener("close", function () {
        if (opened) { opened = false; openSockets -= 1; }
        socketUp = openSockets > 0;
        render();
      });
    }
    return socket;
  }
  TrackedWebSocket.prototype = NativeWebSocket.prototype;
  ["CONNECTING", "OPEN", "CLOSING", "CLOSED"].forEach(function (name) {
    Object.defineProperty(TrackedWebSocket, name, { value: NativeWebSocket[name] });
  });
  window.WebSocket = TrackedWebSocket;
})();
