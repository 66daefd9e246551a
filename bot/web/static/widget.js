/* The assistant's chat widget: one script tag embeds it in any page.
 *
 *   <script>window.assistantConfig = {language: "ar", city: "Vantaa",
 *           topic: "job_coaching", open: true, colours: {primary: "#0b5394"}};</script>
 *   <script src="https://assistant.example/widget.js" async></script>
 *
 * It talks to Rasa's socket.io channel, keeps the session id, the conversation and
 * any message typed while offline in the browser's storage, and never turns text
 * from the user or the assistant into HTML.
 */
(function () {
  "use strict";
  if (window.__assistantWidget) return;
  window.__assistantWidget = true;

  var settings = window.__assistantSettings;
  var config = window.assistantConfig || {};
  var script = document.currentScript;
  var origin = new URL(script ? script.src : "/", location.href).origin;
  var socketUrl = settings.socketUrl || origin.replace(/:\d+$/, "") + ":" + settings.rasaPort;
  var STORE = "assistant.";
  var MAX_HISTORY = 200;
  var TYPING_TIMEOUT_MS = 20000;

  function load(key, fallback) {
    try {
      var value = localStorage.getItem(STORE + key);
      return value === null ? fallback : JSON.parse(value);
    } catch (error) {
      return fallback; // storage blocked (private mode): the chat still works
    }
  }

  function save(key, value) {
    try {
      localStorage.setItem(STORE + key, JSON.stringify(value));
    } catch (error) {
      /* storage full or blocked: keep going in memory */
    }
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return Date.now().toString(16) + Math.random().toString(16).slice(2);
  }

  function supported(code) {
    code = String(code || "").toLowerCase().split(/[-_]/)[0];
    return settings.languages.some(function (l) { return l.code === code; }) ? code : null;
  }

  function browserLanguage() {
    var wanted = navigator.languages || [navigator.language];
    for (var i = 0; i < wanted.length; i++) if (supported(wanted[i])) return supported(wanted[i]);
    return null;
  }

  var state = {
    session: load("session", null),
    language: supported(config.language) || load("language", null) || browserLanguage()
      || settings.defaultLanguage,
    history: [],
    outbox: [],
    texts: {},
    connected: false,
    typingTimer: null,
  };
  // A front-desk link starts a conversation of its own, even on a phone used before.
  if (!state.session || config.newConversation) state.session = newId();
  state.history = load("history." + state.session, []);
  state.outbox = load("outbox." + state.session, []);

  function persist() {
    save("session", state.session);
    save("language", state.language);
    save("history." + state.session, state.history.slice(-MAX_HISTORY));
    save("outbox." + state.session, state.outbox);
  }

  function isRtl(code) {
    return settings.languages.some(function (l) { return l.code === code && l.rtl; });
  }

  /* ---- the DOM, in a shadow root so the page's styles do not leak in ---- */
  var host = document.createElement("div");
  host.className = "assistant-widget-host";
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var colours = config.colours || {};
  Object.keys(colours).forEach(function (name) {
    host.style.setProperty("--assistant-" + name, colours[name]);
  });

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      if (name === "text") node.textContent = attributes[name];
      else node.setAttribute(name, attributes[name]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  var style = el("link", { rel: "stylesheet", href: origin + "/static/widget.css" });
  var launcher = el("button", { type: "button", class: "launcher", "aria-expanded": "false" });
  var title = el("h2", { id: "assistant-title", class: "title" });
  var picker = el("select", { id: "assistant-language", class: "language" });
  settings.languages.forEach(function (l) {
    picker.appendChild(el("option", { value: l.code, lang: l.code, text: l.name }));
  });
  var pickerLabel = el("label", { for: "assistant-language", class: "visually-hidden" });
  var restart = el("button", { type: "button", class: "restart" });
  var close = el("button", { type: "button", class: "close" });
  var notice = el("section", { class: "notice", hidden: "" });
  var noticeTitle = el("h3");
  var noticeText = el("p");
  var noticeOk = el("button", { type: "button", class: "primary" });
  notice.append(noticeTitle, noticeText, noticeOk);
  var log = el("ol", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions" });
  var typing = el("p", { class: "typing", hidden: "", "aria-live": "polite" });
  var offline = el("p", { class: "offline", hidden: "", role: "status" });
  var hint = el("p", { class: "hint", hidden: "", role: "alert" });
  var input = el("textarea", { id: "assistant-input", rows: "1", autocomplete: "off" });
  var inputLabel = el("label", { for: "assistant-input", class: "visually-hidden" });
  var send = el("button", { type: "submit", class: "send primary" });
  var form = el("form", { class: "composer" }, [inputLabel, input, send]);
  var header = el("header", {}, [title, pickerLabel, picker, restart, close]);
  var panel = el("div", {
    class: "panel", role: "dialog", "aria-labelledby": "assistant-title", hidden: "",
  }, [header, notice, log, typing, offline, hint, form]);
  root.append(style, launcher, panel);

  /* ---- texts in the chosen language ---- */
  function applyTexts() {
    var t = state.texts;
    var rtl = isRtl(state.language);
    panel.setAttribute("lang", state.language);
    panel.setAttribute("dir", rtl ? "rtl" : "ltr");
    launcher.setAttribute("dir", rtl ? "rtl" : "ltr");
    launcher.textContent = t.open || "";
    launcher.setAttribute("aria-label", t.open || "");
    title.textContent = t.title || "";
    pickerLabel.textContent = t.language || "";
    restart.textContent = t.new_conversation || "";
    close.textContent = "×";
    close.setAttribute("aria-label", t.close || "");
    noticeTitle.textContent = t.privacy_title || "";
    noticeText.textContent = t.privacy || "";
    noticeOk.textContent = t.privacy_ok || "";
    inputLabel.textContent = t.message_label || "";
    input.setAttribute("placeholder", t.placeholder || "");
    send.textContent = t.send || "";
    typing.textContent = t.typing || "";
    offline.textContent = t.offline || "";
    picker.value = state.language;
    render();
  }

  function loadTexts(language) {
    state.texts = settings.texts[language] || settings.texts[settings.defaultLanguage];
    applyTexts();
  }

  /* ---- messages: text only, links made from plain addresses ---- */
  var LINK = /https?:\/\/[^\s<>"'\u2066-\u2069]+/g;

  function withLinks(text) {
    var fragment = document.createDocumentFragment();
    var last = 0;
    text.replace(LINK, function (url, offset) {
      var clean = url.replace(/[.,;:!?)]+$/, "");
      fragment.appendChild(document.createTextNode(text.slice(last, offset)));
      fragment.appendChild(el("a", {
        href: clean, target: "_blank", rel: "noopener noreferrer", text: clean,
      }));
      last = offset + clean.length;
      return url;
    });
    fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  function render() {
    log.textContent = "";
    state.history.forEach(function (message, index) {
      var item = el("li", { class: "message " + message.from, dir: "auto" });
      var who = el("span", { class: "visually-hidden",
        text: (message.from === "user" ? state.texts.you : state.texts.assistant) + ": " });
      item.appendChild(who);
      item.appendChild(el("span", { class: "text" }, [withLinks(message.text || "")]));
      if (message.pending) {
        item.appendChild(el("small", { class: "pending", text: " · " + (state.texts.pending || "") }));
      }
      var buttons = message.buttons || [];
      if (buttons.length && index === state.history.length - 1) {
        var replies = el("div", { class: "replies" });
        buttons.forEach(function (button) {
          var choice = el("button", { type: "button", dir: "auto", text: button.title });
          choice.addEventListener("click", function () {
            message.buttons = [];
            say(button.payload, button.title);
          });
          replies.appendChild(choice);
        });
        item.appendChild(replies);
      }
      log.appendChild(item);
    });
    log.scrollTop = log.scrollHeight;
  }

  function add(message) {
    state.history.push(message);
    if (state.history.length > MAX_HISTORY) state.history.shift();
    persist();
    render();
  }

  /* ---- the connection ---- */
  var socket = null;

  function metadata() {
    return { language: state.language, city: config.city || null, topic: config.topic || null };
  }

  function emit(text) {
    socket.emit("user_uttered", { message: text, session_id: state.session, customData: metadata() });
    typing.hidden = false;
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(function () { typing.hidden = true; }, TYPING_TIMEOUT_MS);
  }

  function flush() {
    while (state.connected && state.outbox.length) {
      var queued = state.outbox.shift();
      emit(queued.text);
      state.history.forEach(function (m) { if (m.id === queued.id) m.pending = false; });
    }
    persist();
    render();
  }

  /* Sends ``text``; shows ``shown`` (or the text) unless it is a hidden command. */
  function say(text, shown, hidden) {
    var id = newId();
    if (!hidden) add({ id: id, from: "user", text: shown || text, pending: !state.connected });
    state.outbox.push({ id: id, text: text });
    persist();
    flush();
  }

  function wentOffline() {
    state.connected = false;
    offline.hidden = false;
  }

  // A phone that loses its network says so at once; the socket would notice later.
  window.addEventListener("offline", function () {
    wentOffline();
    if (socket) socket.disconnect();
  });
  window.addEventListener("online", function () {
    if (socket && !socket.connected) socket.connect();
  });

  function connect() {
    socket = window.io(socketUrl, { transports: ["websocket", "polling"] });
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: state.session });
    });
    socket.on("session_confirm", function () {
      state.connected = true;
      offline.hidden = true;
      if (!state.history.length && !state.outbox.length) {
        say(settings.topics[config.topic] || "/greet", null, true);
      }
      flush();
    });
    socket.on("disconnect", wentOffline);
    socket.on("bot_uttered", function (data) {
      typing.hidden = true;
      if (!data || (!data.text && !data.quick_replies)) return;
      add({
        id: newId(),
        from: "bot",
        text: String(data.text || ""),
        buttons: (data.quick_replies || data.buttons || []).map(function (b) {
          return { title: String(b.title), payload: String(b.payload) };
        }),
      });
    });
  }

  function loadClient() {
    if (window.io) return connect();
    var client = document.createElement("script");
    client.src = origin + "/vendor/socket.io/socket.io.min.js";
    client.onload = connect;
    client.onerror = function () { offline.hidden = false; };
    document.head.appendChild(client);
  }

  /* ---- what the user does ---- */
  function open() {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    if (!load("privacyAccepted", false)) {
      notice.hidden = false;
      noticeOk.focus();
    } else {
      input.focus();
    }
  }

  function hide() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", open);
  close.addEventListener("click", hide);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") hide();
  });
  noticeOk.addEventListener("click", function () {
    save("privacyAccepted", true);
    notice.hidden = true;
    input.focus();
  });
  picker.addEventListener("change", function () {
    state.language = supported(picker.value) || state.language;
    persist();
    loadTexts(state.language);
    say('/choose_language{"language": "' + state.language + '"}', null, true);
  });
  restart.addEventListener("click", function () {
    state.session = newId();
    state.history = [];
    state.outbox = [];
    persist();
    render();
    if (socket) {
      socket.emit("session_request", { session_id: state.session });
    }
    input.focus();
  });
  input.addEventListener("input", function () { hint.hidden = true; });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    if (text.length > settings.maxMessageChars) {
      hint.textContent = state.texts.too_long || "";
      hint.hidden = false;
      return; // the text stays in the box, to shorten
    }
    input.value = "";
    say(text);
  });

  function start() {
    document.body.appendChild(host);
    loadTexts(state.language);
    if (config.open) open();
    loadClient();
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
