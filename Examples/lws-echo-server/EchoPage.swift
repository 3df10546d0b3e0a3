/// The page `lws-echo-server` serves at `/`: it opens a WebSocket back to the server it came
/// from (`wss://` when the page came over https), sends what is typed, and lists each echo
/// with its round-trip time. No external scripts. `/?auto=N` sends N messages by itself and
/// sets `data-done` on the body when all came back, for the browser test.
enum EchoPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>lws echo</title>
    <style>
      body { font: 15px/1.4 system-ui, sans-serif; max-width: 40em; margin: 2em auto; padding: 0 1em; }
      #status { font-weight: 600; }
      form { display: flex; gap: .5em; margin: 1em 0; }
      input { flex: 1; font: inherit; padding: .3em; }
      li { font-family: ui-monospace, monospace; }
      .rtt { color: #666; }
    </style>
    </head>
    <body data-done="false">
    <h1>lws echo</h1>
    <p>Status: <span id="status">connecting</span> · <span id="url"></span></p>
    <form id="form"><input id="text" autocomplete="off" placeholder="Type a message" autofocus>
    <button id="send" disabled>Send</button></form>
    <p>Echoes received: <span id="count">0</span></p>
    <ol id="log"></ol>
    <script>
    "use strict";
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/";
    const $ = (id) => document.getElementById(id);
    $("url").textContent = url;
    const sent = new Map();
    let serial = 0, received = 0, expected = 0;
    const socket = new WebSocket(url);
    function send(text) {
      const id = String(++serial);
      sent.set(id, performance.now());
      socket.send(id + " " + text);
    }
    socket.onopen = () => {
      $("status").textContent = "open";
      $("send").disabled = false;
      const auto = Number(new URLSearchParams(location.search).get("auto") || 0);
      expected = auto;
      for (let i = 1; i <= auto; i++) send("auto message " + i);
    };
    socket.onmessage = (event) => {
      const text = String(event.data);
      const id = text.split(" ", 1)[0];
      const started = sent.get(id);
      sent.delete(id);
      const item = document.createElement("li");
      item.className = "echo";
      item.textContent = text.slice(id.length + 1) + " ";
      const rtt = document.createElement("span");
      rtt.className = "rtt";
      rtt.textContent = started === undefined ? "(unexpected)" : (performance.now() - started).toFixed(1) + " ms";
      item.appendChild(rtt);
      $("log").prepend(item);
      $("count").textContent = String(++received);
      if (expected > 0 && received >= expected) document.body.dataset.done = "true";
    };
    socket.onclose = (event) => {
      $("status").textContent = "closed (" + event.code + ")";
      $("send").disabled = true;
    };
    socket.onerror = () => { $("status").textContent = "error"; };
    $("form").onsubmit = (event) => {
      event.preventDefault();
      const text = $("text").value;
      if (text && socket.readyState === WebSocket.OPEN) { send(text); $("text").value = ""; }
    };
    </script>
    </body>
    </html>
    """#
}
