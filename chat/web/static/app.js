// TCP-Chat's page: a WebSocket client of the JSON protocol in README.md ("From a browser").
// Messages are put on the page with textContent only, never as HTML.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('status'), where: $('where'), you: $('you'), room: $('room'),
    panelToggle: $('panel-toggle'), login: $('login'), loginForm: $('login-form'),
    banner: $('banner'), name: $('name'), loginError: $('login-error'),
    loginButton: $('login-button'), chat: $('chat'), users: $('users'),
    userCount: $('user-count'), rooms: $('rooms'), roomsRefresh: $('rooms-refresh'),
    newRoom: $('new-room'), newRoomName: $('new-room-name'), help: $('help'),
    messages: $('messages'), newBelow: $('new-below'), composer: $('composer'),
    text: $('text'), password: $('password'), passwordLabel: $('password-label'),
  };

  // The longest message the page sends; the server refuses longer lines anyway.
  // The server closes the connection (1009) on a WebSocket message over 16 KiB, counted
  // in UTF-8 bytes of the JSON, escapes included; check that, not characters.
  const MAX_FRAME_BYTES = 16 * 1024;
  // At most this many messages stay on the page; older ones are removed.
  const MAX_SHOWN = 2000;

  const state = {
    socket: null,
    name: sessionStorage.getItem('tcpchat.name') || '',
    room: '',
    loggedIn: false,
    wantLogin: false,       // a login is to be sent once the socket opens
    autoLogin: false,       // that login is a reconnect's, not the person's
    quitting: false,        // the person typed /quit: do not reconnect
    replyTo: null,          // the sender of the last private message shown
    retries: 0,       // reconnect backoff
    loginRetries: 0,  // re-logins while our lost connection still holds the name
    retryTimer: 0,
    users: new Set(),
    hiddenReplies: [],      // replies to commands the page sent itself, in order
    pingTimer: 0,
    goodbye: '',            // why the server is closing the connection, if it said
    passwordAsked: false,   // the name is registered: the login form asks its password
  };

  // ---------------------------------------------------------------------------------
  // Connection

  function url() {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
  }

  function setStatus(text, bad) {
    ui.status.textContent = text;
    ui.status.classList.toggle('bad', !!bad);
  }

  function connect() {
    clearTimeout(state.retryTimer);
    if (state.socket) return;
    setStatus('Connecting…');
    let socket;
    try {
      socket = new WebSocket(url());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    state.socket = socket;
    socket.onopen = () => {
      socket.opened = true;
      state.retries = 0;
      setStatus(state.loggedIn ? 'Connected' : 'Connected: choose a name');
      if (state.wantLogin) sendLogin();
    };
    socket.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;  // not ours to show
      }
      receive(message);
    };
    socket.onclose = () => {
      if (state.socket !== socket) return;
      state.socket = null;
      clearTimeout(state.pingTimer);
      state.hiddenReplies = [];
      const wasIn = state.loggedIn;
      const goodbye = state.goodbye;
      state.loggedIn = false;
      state.goodbye = '';
      if (state.quitting) {
        state.quitting = false;
        sessionStorage.removeItem('tcpchat.room');
        showLogin('You left the chat.');
        setStatus('Disconnected');
        return;
      }
      if (wasIn && goodbye && !/shutting down/i.test(goodbye)) {
        // Sent away (idle, flooding): coming back is the person's choice.
        showLogin(goodbye);
        state.wantLogin = false;
        scheduleReconnect();
        return;
      }
      if (!socket.opened) {
        // Refused before any WebSocket: the browser does not say why (the server's answer
        // says, and a reload of the page shows it).
        scheduleReconnect('Could not connect: the server may be down or full, or refusing this address.');
        return;
      }
      if (wasIn) {
        divider('Connection lost');
        state.wantLogin = true;
        state.autoLogin = true;
      }
      scheduleReconnect();
    };
  }

  function scheduleReconnect(why) {
    // 1, 2, 4, ... 30 s, with jitter so a restarted server is not hit by everyone at once.
    const delay = Math.min(30000, 1000 * 2 ** state.retries) * (0.75 + Math.random() / 2);
    state.retries = Math.min(state.retries + 1, 5);
    setStatus(`${why || 'Disconnected.'} Reconnecting in ${Math.round(delay / 1000)} s…`, true);
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(connect, delay);
  }

  function send(message) {
    if (!state.socket || state.socket.readyState !== WebSocket.OPEN) return false;
    state.socket.send(JSON.stringify(message));
    return true;
  }

  // A command the page sends on its own: its reply is used, not shown.
  function sendQuietly(command, kind) {
    if (send({ type: 'say', text: command })) state.hiddenReplies.push(kind);
  }

  function sendLogin() {
    state.wantLogin = false;
    send({ type: 'login', name: state.name });
  }

  // After coming back online or to the page: is the connection still alive?
  function checkAlive() {
    if (!state.socket || !state.loggedIn) {
      if (!state.socket) connect();
      return;
    }
    sendQuietly('/ping', 'pong');
    clearTimeout(state.pingTimer);
    state.pingTimer = setTimeout(() => {
      // No answer: a dead connection the browser has not noticed yet.
      if (state.socket) state.socket.close();
    }, 5000);
  }

  window.addEventListener('online', checkAlive);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') checkAlive();
  });

  // ---------------------------------------------------------------------------------
  // What the server says

  function receive(message) {
    switch (message.type) {
      case 'banner':
        ui.banner.textContent = message.text;
        break;
      case 'welcome':
        welcome(message);
        break;
      case 'chat':
      case 'emote':
        show(message);
        break;
      case 'private':
        state.replyTo = message.name;  // whom /reply answers, as the server sees it
        show(message);
        break;
      case 'join':
        state.users.add(message.name);
        renderUsers();
        show(message);
        break;
      case 'leave':
        state.users.delete(message.name);
        renderUsers();
        show(message);
        break;
      case 'rename':
        state.users.delete(message.name);
        state.users.add(message.new_name);
        renderUsers();
        show(message);
        break;
      case 'name':
        state.name = message.name;
        sessionStorage.setItem('tcpchat.name', state.name);
        state.users.add(state.name);
        renderWhere();
        break;
      case 'password_prompt':
        passwordPrompt(message.text);
        break;
      case 'reply':
        reply(message.text);
        break;
      case 'error':
        error(message.text);
        break;
      case 'motd':
        notice(message.text, 'reply');
        break;
      case 'goodbye':
        state.goodbye = message.text;
        if (state.loggedIn) {
          notice(message.text, 'goodbye');
        } else {
          ui.loginError.textContent = message.text;
        }
        break;
      default:
        break;  // newer servers may say more; ignore what we do not know
    }
  }

  function welcome(message) {
    const first = !state.loggedIn;
    state.loggedIn = true;
    state.passwordAsked = false;
    state.loginRetries = 0;
    state.autoLogin = false;
    state.name = message.name;
    sessionStorage.setItem('tcpchat.name', state.name);
    const previousRoom = state.room;
    state.room = message.room;
    state.users = new Set(message.users || []);
    state.users.add(state.name);
    setStatus('Connected');
    ui.login.hidden = true;
    ui.chat.hidden = false;
    ui.where.hidden = false;
    ui.panelToggle.hidden = false;
    ui.loginError.textContent = '';
    renderWhere();
    renderUsers();
    if (first) {
      const wanted = sessionStorage.getItem('tcpchat.room');
      // Back after a reconnect: return to the room we were in.
      if (wanted && wanted.toLowerCase() !== message.room.toLowerCase()) {
        sendQuietly('/join ' + wanted, 'join');
      }
    }
    if (first || previousRoom !== message.room) {
      divider(message.history && message.history.length
        ? `${message.room}: recent history`
        : `You are in ${message.room}`);
    }
    for (const item of message.history || []) show(item);
    sessionStorage.setItem('tcpchat.room', message.room);
    sendQuietly('/rooms', 'rooms');
    if (first) ui.text.focus();
  }

  function reply(text) {
    const hidden = state.hiddenReplies.length ? state.hiddenReplies[0] : null;
    if (text.startsWith('Rooms: ')) renderRooms(text);
    if (hidden === 'pong' && text.startsWith('pong ')) {
      state.hiddenReplies.shift();
      clearTimeout(state.pingTimer);
      return;
    }
    if (hidden === 'rooms' && text.startsWith('Rooms: ')) {
      state.hiddenReplies.shift();
      return;
    }
    if (hidden === 'join' && text.startsWith('You are now in ')) {
      state.hiddenReplies.shift();
      return;
    }
    if (text === 'Bye!') state.quitting = true;
    notice(text, 'reply');
  }

  // A registered name: its password goes in the login form, sent as a "password"
  // message, which the server never takes for a chat line. Typing passwords in the chat
  // (for /register, /password, /unregister) is left to nc and telnet for now: the page
  // ends such a dialogue at once with an empty password, which changes nothing.
  function passwordPrompt(words) {
    if (state.loggedIn) {
      notice('This page cannot type passwords yet: use /register, /password and ' +
             '/unregister from nc or telnet.', 'error');
      send({ type: 'password', text: '' });
      return;
    }
    state.passwordAsked = true;
    state.autoLogin = false;
    showLogin('');
    ui.passwordLabel.textContent = `Password for ${state.name}`;
    ui.passwordLabel.hidden = false;
    ui.password.hidden = false;
    ui.password.focus();
  }

  function error(text) {
    if (state.hiddenReplies.length) {
      // An automatic /join that failed (the room is gone): stay where we are.
      if (state.hiddenReplies[0] === 'join') {
        state.hiddenReplies.shift();
        sessionStorage.removeItem('tcpchat.room');
        return;
      }
    }
    if (!state.loggedIn) {
      if (state.autoLogin && /already taken/.test(text) && state.loginRetries < 5) {
        // Our old connection may still hold the name until the server notices it is gone.
        setStatus('Your name is still held by the lost connection; retrying…', true);
        state.loginRetries += 1;
        state.wantLogin = true;
        setTimeout(() => { if (state.wantLogin && !state.loggedIn) sendLogin(); },
          2000 * state.loginRetries);
        return;
      }
      state.autoLogin = false;
      state.passwordAsked = false;
      showLogin(text);
      return;
    }
    notice(text, 'error');
  }

  // ---------------------------------------------------------------------------------
  // Drawing

  function atBottom() {
    const list = ui.messages;
    return list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  }

  // Adds one item, keeping the reader's place: follow new messages only if already at
  // the bottom; otherwise offer a button to jump there.
  function append(item) {
    const follow = atBottom();
    ui.messages.appendChild(item);
    while (ui.messages.childElementCount > MAX_SHOWN) ui.messages.firstElementChild.remove();
    if (follow) {
      ui.messages.scrollTop = ui.messages.scrollHeight;
    } else {
      ui.newBelow.hidden = false;
    }
  }

  function span(className, text) {
    const element = document.createElement('span');
    element.className = className;
    element.textContent = text;
    return element;
  }

  function timeOf(iso) {
    const element = document.createElement('time');
    const date = iso ? new Date(iso) : new Date();
    element.dateTime = date.toISOString();
    element.title = date.toLocaleString();
    element.textContent = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    return element;
  }

  function show(message) {
    const item = document.createElement('li');
    item.className = message.type;
    item.appendChild(timeOf(message.time));
    switch (message.type) {
      case 'chat':
        item.append(span('name', message.name), span('text', message.text));
        break;
      case 'emote':
        item.append(span('text', `* ${message.name} ${message.text}`));
        break;
      case 'private':
        item.append(span('tag', 'private'), span('name', `${message.name} → you`),
          span('text', message.text));
        break;
      case 'join':
        item.classList.add('notice');
        item.append(span('text', `${message.name} has joined ${message.room || 'the room'}`));
        break;
      case 'leave':
        item.classList.add('notice');
        item.append(span('text', `${message.name} has left`));
        break;
      case 'rename':
        item.classList.add('notice');
        item.append(span('text', `${message.name} is now ${message.new_name}`));
        break;
      default:
        return;
    }
    append(item);
  }

  // What you said yourself: the server does not echo it back.
  function showMine(text) {
    const item = document.createElement('li');
    let match;
    if ((match = /^\/(?:msg|dm)\s+(\S+)\s+([\s\S]+)$/i.exec(text))) {
      item.className = 'private mine';
      item.append(timeOf(), span('tag', 'private'), span('name', `you → ${match[1]}`),
        span('text', match[2]));
    } else if ((match = /^\/reply\s+([\s\S]+)$/i.exec(text)) && state.replyTo) {
      item.className = 'private mine';
      item.append(timeOf(), span('tag', 'private'), span('name', `you → ${state.replyTo}`),
        span('text', match[1]));
    } else if ((match = /^\/me\s+([\s\S]+)$/i.exec(text))) {
      item.className = 'emote mine';
      item.append(timeOf(), span('text', `* ${state.name} ${match[1]}`));
    } else if (text.startsWith('/') && !text.startsWith('//')) {
      return;  // a command: its reply says what happened
    } else {
      item.className = 'chat mine';
      item.append(timeOf(), span('name', state.name),
        span('text', text.startsWith('//') ? text.slice(1) : text));
    }
    append(item);
  }

  function notice(text, kind) {
    const item = document.createElement('li');
    item.className = kind;
    if (kind === 'error') item.setAttribute('role', 'alert');
    item.append(timeOf(), span('text', text));
    append(item);
  }

  function divider(text) {
    const item = document.createElement('li');
    item.className = 'divider';
    item.textContent = `— ${text} —`;
    append(item);
  }

  function renderWhere() {
    ui.you.textContent = state.name;
    ui.room.textContent = state.room;
    document.title = `${state.room} · TCP-Chat`;
  }

  function renderUsers() {
    const names = [...state.users].sort((a, b) => a.localeCompare(b));
    ui.userCount.textContent = `(${names.length})`;
    ui.users.replaceChildren(...names.map((name) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = name === state.name ? `${name} (you)` : name;
      button.disabled = name === state.name;
      button.addEventListener('click', () => {
        ui.text.value = `/msg ${name} `;
        closePanel();
        ui.text.focus();
      });
      item.appendChild(button);
      return item;
    }));
  }

  // "Rooms: dev (1), general (2)": room names have no spaces, so this splits cleanly.
  function renderRooms(text) {
    const rooms = text.slice('Rooms: '.length).split(', ').map((entry) => {
      const match = /^(\S+) \((\d+)\)$/.exec(entry);
      return match ? { name: match[1], members: Number(match[2]) } : null;
    }).filter(Boolean);
    ui.rooms.replaceChildren(...rooms.map((room) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.append(room.name, ' ', span('members', `(${room.members})`));
      if (room.name.toLowerCase() === state.room.toLowerCase()) {
        item.className = 'current';
        button.setAttribute('aria-current', 'true');
      }
      button.addEventListener('click', () => {
        if (room.name.toLowerCase() !== state.room.toLowerCase()) send({ type: 'say', text: `/join ${room.name}` });
        closePanel();
      });
      item.appendChild(button);
      return item;
    }));
  }

  function showLogin(why) {
    ui.chat.hidden = true;
    ui.where.hidden = true;
    ui.panelToggle.hidden = true;
    ui.login.hidden = false;
    ui.loginError.textContent = why || '';
    ui.loginButton.disabled = false;
    if (!ui.name.value) ui.name.value = state.name;
    ui.passwordLabel.hidden = !state.passwordAsked;
    ui.password.hidden = !state.passwordAsked;
    ui.name.focus();
  }

  function closePanel() {
    ui.chat.classList.remove('panel-open');
    ui.panelToggle.setAttribute('aria-expanded', 'false');
  }

  // ---------------------------------------------------------------------------------
  // What the person does

  ui.loginForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (state.passwordAsked) {
      state.passwordAsked = false;
      ui.passwordLabel.hidden = true;
      ui.password.hidden = true;
      ui.loginError.textContent = '';
      const password = ui.password.value;
      ui.password.value = '';
      send({ type: 'password', text: password });
      return;
    }
    const name = ui.name.value.trim();
    if (!name) {
      ui.loginError.textContent = 'Type a name first.';
      ui.name.focus();
      return;
    }
    state.name = name;
    state.autoLogin = false;
    state.retries = 0;
    state.loginRetries = 0;
    sessionStorage.removeItem('tcpchat.room');
    ui.loginError.textContent = '';
    if (state.socket && state.socket.readyState === WebSocket.OPEN) {
      sendLogin();
    } else {
      state.wantLogin = true;
      connect();
    }
  });

  function sendText() {
    const text = ui.text.value;
    if (!text.trim()) return;
    const bytes = new TextEncoder().encode(JSON.stringify({ type: 'say', text })).length;
    if (bytes > MAX_FRAME_BYTES) {
      notice(`That message is too long (${bytes} bytes as sent; at most ${MAX_FRAME_BYTES}).`, 'error');
      return;
    }
    if (!send({ type: 'say', text })) {
      notice('Not connected: your message was not sent. Reconnecting…', 'error');
      return;
    }
    for (const line of text.split('\n')) if (line.trim()) showMine(line);
    ui.text.value = '';
    resizeInput();
  }

  ui.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    sendText();
    ui.text.focus();
  });

  ui.text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendText();
    }
  });

  // The input grows with what is typed, up to its CSS max-height; then it scrolls.
  function resizeInput() {
    ui.text.style.height = 'auto';
    const border = ui.text.offsetHeight - ui.text.clientHeight;
    ui.text.style.height = `${ui.text.scrollHeight + border}px`;
    ui.text.style.overflowY = ui.text.scrollHeight > ui.text.clientHeight ? 'auto' : 'hidden';
  }
  ui.text.addEventListener('input', resizeInput);
  resizeInput();

  ui.messages.addEventListener('scroll', () => {
    if (atBottom()) ui.newBelow.hidden = true;
  });
  ui.newBelow.addEventListener('click', () => {
    ui.messages.scrollTop = ui.messages.scrollHeight;
    ui.newBelow.hidden = true;
    ui.text.focus();
  });

  ui.roomsRefresh.addEventListener('click', () => sendQuietly('/rooms', 'rooms'));
  ui.help.addEventListener('click', () => send({ type: 'say', text: '/help' }));
  ui.newRoom.addEventListener('submit', (event) => {
    event.preventDefault();
    const room = ui.newRoomName.value.trim();
    if (!room) return;
    send({ type: 'say', text: `/join ${room}` });
    ui.newRoomName.value = '';
    closePanel();
  });

  ui.panelToggle.addEventListener('click', () => {
    const open = ui.chat.classList.toggle('panel-open');
    ui.panelToggle.setAttribute('aria-expanded', String(open));
  });

  // A reload (or a new tab of the same session) logs back in with the same name.
  if (state.name) {
    ui.name.value = state.name;
    state.wantLogin = true;
    state.autoLogin = true;
  }
  connect();
})();
