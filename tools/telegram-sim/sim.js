#!/usr/bin/env node
// A local Telegram Bot API simulator for tests and `tools/run --demo` (Node core modules only).
// It serves https?://HOST/bot<token>/<method> with the Bot API's envelope and error shapes
// ({"ok":false,"error_code":N,"description":"...","parameters":{"retry_after":S}}), taking
// parameters as JSON, form-urlencoded or a query string, method names case-insensitive:
//   getMe, getUpdates (offset confirms, limit, long-poll timeout, allowed_updates; 409 while a
//   webhook is set), setWebhook (url, secret_token) / deleteWebhook / getWebhookInfo (webhook
//   delivery POSTs each update with X-Telegram-Bot-Api-Secret-Token and retries until 2xx),
//   sendMessage, editMessageText, editMessageReplyMarkup, answerCallbackQuery,
//   createChatInviteLink, revokeChatInviteLink, approveChatJoinRequest, declineChatJoinRequest,
//   banChatMember, unbanChatMember (only_if_banned), getChatMember.
// Errors follow Telegram: 401 Unauthorized (wrong token), 400 chat not found / message text is
// empty / message is too long / BUTTON_DATA_INVALID (callback_data outside 1-64 bytes) / message
// to edit not found / message is not modified / query is too old / HIDE_REQUESTER_MISSING,
// 403 bot was blocked by the user / bot can't initiate conversation with a user,
// 429 Too Many Requests with parameters.retry_after.
// Deviation, for loopback tests only: setWebhook accepts http:// URLs on any port (Telegram
// requires HTTPS on 443, 80, 88 or 8443).
//
// Scripted users and inspection (not part of the Bot API), on the control port under /sim/:
//   POST /sim/chats                 {"id","type":"channel","title","can_invite_users"} a channel where
//                                   the bot is admin; can_invite_users false: without that right
//                                   (createChatInviteLink then answers 400 "not enough rights to
//                                   manage chat invite links"); posting the same id again updates it,
//                                   keeping its members
//   POST /sim/users/ID/message      {"text","first_name","username"} the user writes to the bot
//   POST /sim/users/ID/press        {"message_id","data","force"} the user presses a button
//                                   (of that message, unless force: any data)
//   POST /sim/users/ID/join         {"invite_link"} the user opens a link: join request update
//   POST /sim/users/ID/block        the user blocks the bot (sends then get 403)
//   POST /sim/users                 {"ids":[...]} users who started the bot earlier (no updates)
//   POST /sim/flood                 {"count","retry_after","method"} the next count calls get 429
//   POST /sim/fail                  {"count","status","method"} the next count calls get status
//   GET  /sim/messages?chat_id=ID   what the bot sent to a chat (with keyboards and send times)
//   GET  /sim/state                 members, invite links, join decisions, callback answers,
//                                   pending updates, webhook deliveries, every call
//
// Usage: node sim.js --token T --port 0 --port-file F [--control-port-file F2]
//                    [--tls-cert C --tls-key K] [--first-update-id N]

'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const https = require('https');

function arg(name, fallback) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const token = arg('token', '');
if (!/^[0-9]+:[A-Za-z0-9_-]{20,}$/.test(token)) {
  console.error('telegram-sim: --token must look like a Bot API token (123456:ABC...)');
  process.exit(2);
}
const botId = Number(token.split(':')[0]);
const bot = {id: botId, is_bot: true, first_name: 'telepay', username: 'telepay_bot'};

// ---- state ----
let nextUpdateId = Number(arg('first-update-id', '100000'));
const updates = [];            // pending updates (not yet confirmed / delivered)
let waiters = [];              // long polls waiting for an update
let webhook = null;            // {url, secret_token, allowed_updates}
const webhookDeliveries = [];  // {update_id, status}
let allowedUpdates = null;     // the last allowed_updates given (null: default set)
const users = new Map();       // id -> {id, first_name, username, started, blocked}
const chats = new Map();       // channel id -> {id, type, title, members: Map(user -> status)}
const messages = new Map();    // chat id -> [{message_id, text, reply_markup, sent_at_ms, edits}]
let nextMessageId = 1;
const links = new Map();       // invite_link -> {chat_id, name, expire_date, creates_join_request, is_revoked}
const joinRequests = new Map();  // `${chat}:${user}` -> {chat_id, user_id, invite_link}
const joinDecisions = [];      // {chat_id, user_id, decision}
const callbacks = new Map();   // query id -> {user_id, data, answered, text}
const calls = [];              // {method, status, at_ms, chat_id}
const injected = [];           // {method, status, retry_after, count}

const defaultKinds = ['message', 'edited_message', 'channel_post', 'callback_query', 'chat_join_request',
                      'my_chat_member', 'inline_query'];  // chat_member only when asked for

function nowS() { return Math.floor(Date.now() / 1000); }

function pushUpdate(kind, body) {
  const u = {update_id: nextUpdateId++};
  u[kind] = body;
  updates.push(u);
  const ws = waiters;
  waiters = [];
  ws.forEach((w) => w());
  if (webhook) deliverWebhook();
  return u;
}

function wanted(u) {
  const kinds = allowedUpdates && allowedUpdates.length ? allowedUpdates : defaultKinds;
  return Object.keys(u).some((k) => k !== 'update_id' && kinds.includes(k));
}

let delivering = false;
async function deliverWebhook() {
  if (delivering) return;
  delivering = true;
  try {
    while (webhook && updates.length) {
      const u = updates[0];
      if (!wanted(u)) { updates.shift(); continue; }
      const status = await postJson(webhook.url, u, webhook.secret_token
        ? {'X-Telegram-Bot-Api-Secret-Token': webhook.secret_token} : {});
      webhookDeliveries.push({update_id: u.update_id, status});
      if (status >= 200 && status < 300) updates.shift();
      else await new Promise((r) => setTimeout(r, 500));  // Telegram repeats failed deliveries
    }
  } finally {
    delivering = false;
  }
}

function postJson(url, body, headers) {
  return new Promise((resolve) => {
    const data = Buffer.from(JSON.stringify(body));
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : http;
    const req = lib.request({method: 'POST', hostname: u.hostname, port: u.port, path: u.pathname + u.search,
      headers: Object.assign({'Content-Type': 'application/json', 'Content-Length': data.length}, headers),
      rejectUnauthorized: false, timeout: 5000}, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end(data);
  });
}

// ---- Bot API ----
class ApiError extends Error {
  constructor(code, description, parameters) { super(description); this.code = code; this.parameters = parameters; }
}
const bad = (d) => new ApiError(400, 'Bad Request: ' + d);

function int(params, name, required = true) {
  const v = params[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw bad(name + ' is empty');
    return undefined;
  }
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw bad('invalid ' + name + ' specified');
  return n;
}
function bool(params, name) { return params[name] === true || params[name] === 'true'; }
function parseMaybeJson(v) {
  if (typeof v !== 'string') return v;
  try { return JSON.parse(v); } catch (e) { throw bad("can't parse reply keyboard markup JSON object"); }
}

function checkMarkup(markup) {
  if (markup === undefined) return undefined;
  markup = parseMaybeJson(markup);
  if (!markup || !Array.isArray(markup.inline_keyboard)) throw bad('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array');
  for (const row of markup.inline_keyboard) {
    if (!Array.isArray(row)) throw bad('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays');
    for (const b of row) {
      if (typeof b.text !== 'string' || !b.text) throw bad('text buttons are unallowed in the inline keyboard');
      if (b.url === undefined) {
        if (typeof b.callback_data !== 'string' || Buffer.byteLength(b.callback_data) < 1 ||
            Buffer.byteLength(b.callback_data) > 64) throw bad('BUTTON_DATA_INVALID');
      }
    }
  }
  return markup;
}

function checkText(text) {
  if (typeof text !== 'string' || text.length === 0) throw bad('message text is empty');
  if ([...text].length > 4096) throw bad('message is too long');
  return text;
}

function privateChat(chatId) {
  const u = users.get(chatId);
  if (!u) {
    if (chats.has(chatId)) return null;
    throw bad('chat not found');
  }
  if (u.blocked) throw new ApiError(403, 'Forbidden: bot was blocked by the user');
  if (!u.started) throw new ApiError(403, "Forbidden: bot can't initiate conversation with a user");
  return u;
}

function channel(chatId) {
  const c = chats.get(chatId);
  if (!c) throw bad('chat not found');
  return c;
}

function messageOf(chatId, messageId) {
  const m = (messages.get(chatId) || []).find((x) => x.message_id === messageId);
  if (!m) throw bad('message to edit not found');
  return m;
}

function memberUpdate(c, userId, oldStatus, newStatus, link) {
  const user = users.get(userId) || {id: userId, is_bot: false, first_name: 'user' + userId};
  const body = {chat: {id: c.id, type: c.type, title: c.title}, from: bot, date: nowS(),
    old_chat_member: {status: oldStatus, user: {id: user.id, is_bot: false, first_name: user.first_name}},
    new_chat_member: {status: newStatus, user: {id: user.id, is_bot: false, first_name: user.first_name}}};
  if (link) body.invite_link = link;
  pushUpdate('chat_member', body);
}

function linkObject(url) {
  const l = links.get(url);
  const o = {invite_link: url, creator: bot, creates_join_request: l.creates_join_request, is_primary: false,
    is_revoked: l.is_revoked};
  if (l.name) o.name = l.name;
  if (l.expire_date) o.expire_date = l.expire_date;
  if (l.member_limit) o.member_limit = l.member_limit;
  return o;
}

const methods = {
  getme: () => bot,
  getupdates: (p) => {
    if (webhook) throw new ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    const offset = int(p, 'offset', false);
    const limit = Math.min(Math.max(int(p, 'limit', false) || 100, 1), 100);
    if (p.allowed_updates !== undefined) allowedUpdates = parseMaybeJson(p.allowed_updates);
    if (offset !== undefined) {
      if (offset < 0) updates.splice(0, Math.max(0, updates.length + offset));
      else while (updates.length && updates[0].update_id < offset) updates.shift();
    }
    const take = () => updates.filter(wanted).slice(0, limit);
    // drop unwanted updates at the front so they are never returned
    const ready = take();
    const timeout = Math.min(int(p, 'timeout', false) || 0, 50);
    if (ready.length || timeout <= 0) return ready;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { waiters = waiters.filter((w) => w !== wake); resolve(take()); }, timeout * 1000);
      const wake = () => { clearTimeout(timer); resolve(take()); };
      waiters.push(wake);
    });
  },
  setwebhook: (p) => {
    const url = p.url || '';
    if (url === '') { webhook = null; return true; }
    if (!/^https?:\/\//.test(url)) throw bad('bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443');
    if (p.secret_token !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(p.secret_token)) throw bad('secret token contains unallowed characters');
    if (p.allowed_updates !== undefined) allowedUpdates = parseMaybeJson(p.allowed_updates);
    if (bool(p, 'drop_pending_updates')) updates.length = 0;
    webhook = {url, secret_token: p.secret_token};
    deliverWebhook();
    return true;
  },
  deletewebhook: (p) => {
    webhook = null;
    if (bool(p, 'drop_pending_updates')) updates.length = 0;
    return true;
  },
  getwebhookinfo: () => ({url: webhook ? webhook.url : '', has_custom_certificate: false,
    pending_update_count: updates.length, max_connections: 40}),
  sendmessage: (p) => {
    const chatId = int(p, 'chat_id');
    const text = checkText(p.text);
    const markup = checkMarkup(p.reply_markup);
    const u = privateChat(chatId);
    if (!u) channel(chatId);
    const m = {message_id: nextMessageId++, text, reply_markup: markup, sent_at_ms: Date.now(), edits: 0};
    if (!messages.has(chatId)) messages.set(chatId, []);
    messages.get(chatId).push(m);
    const out = {message_id: m.message_id, from: bot, chat: u ? {id: chatId, type: 'private', first_name: u.first_name}
      : {id: chatId, type: chats.get(chatId).type}, date: nowS(), text};
    if (markup) out.reply_markup = markup;
    return out;
  },
  editmessagetext: (p) => {
    const chatId = int(p, 'chat_id');
    const m = messageOf(chatId, int(p, 'message_id'));
    const text = checkText(p.text);
    const markup = checkMarkup(p.reply_markup);
    if (text === m.text && JSON.stringify(markup) === JSON.stringify(m.reply_markup)) {
      throw bad('message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
    }
    m.text = text; m.reply_markup = markup; m.edits++;
    return {message_id: m.message_id, from: bot, chat: {id: chatId, type: 'private'}, date: nowS(), text,
      reply_markup: markup};
  },
  editmessagereplymarkup: (p) => {
    const chatId = int(p, 'chat_id');
    const m = messageOf(chatId, int(p, 'message_id'));
    const markup = checkMarkup(p.reply_markup);
    const empty = (k) => !k || k.inline_keyboard.length === 0;
    if (JSON.stringify(markup) === JSON.stringify(m.reply_markup) || (empty(markup) && empty(m.reply_markup))) {
      throw bad('message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
    }
    m.reply_markup = markup; m.edits++;
    return {message_id: m.message_id, from: bot, chat: {id: chatId, type: 'private'}, date: nowS(), text: m.text};
  },
  answercallbackquery: (p) => {
    const q = callbacks.get(String(p.callback_query_id || ''));
    if (!q || q.answered) throw bad('query is too old and response timeout expired or query ID is invalid');
    if (p.text !== undefined && [...String(p.text)].length > 200) throw bad('MESSAGE_TOO_LONG');
    q.answered = true; q.text = p.text || '';
    return true;
  },
  createchatinvitelink: (p) => {
    const c = channel(int(p, 'chat_id'));
    if (!c.can_invite_users) throw bad('not enough rights to manage chat invite links');
    const name = p.name || '';
    if ([...name].length > 32) throw bad('invite link name is too long');
    const cjr = bool(p, 'creates_join_request');
    const limit = int(p, 'member_limit', false);
    if (cjr && limit !== undefined) throw bad("member limit can't be specified for links requiring administrator approval");
    const url = 'https://t.me/+' + crypto.randomBytes(12).toString('base64url');
    links.set(url, {chat_id: c.id, name, expire_date: int(p, 'expire_date', false), member_limit: limit,
      creates_join_request: cjr, is_revoked: false});
    return linkObject(url);
  },
  revokechatinvitelink: (p) => {
    const chatId = int(p, 'chat_id');
    channel(chatId);
    const l = links.get(p.invite_link);
    if (!l || l.chat_id !== chatId) throw bad('INVITE_HASH_EXPIRED');
    l.is_revoked = true;
    return linkObject(p.invite_link);
  },
  approvechatjoinrequest: (p) => decideJoin(p, 'approved'),
  declinechatjoinrequest: (p) => decideJoin(p, 'declined'),
  banchatmember: (p) => {
    const c = channel(int(p, 'chat_id'));
    const userId = int(p, 'user_id');
    const old = c.members.get(userId) || 'left';
    c.members.set(userId, 'kicked');
    if (old !== 'kicked') memberUpdate(c, userId, old, 'kicked');
    return true;
  },
  unbanchatmember: (p) => {
    const c = channel(int(p, 'chat_id'));
    const userId = int(p, 'user_id');
    const old = c.members.get(userId) || 'left';
    if (old === 'kicked' || (old === 'member' && !bool(p, 'only_if_banned'))) {
      c.members.set(userId, 'left');
      memberUpdate(c, userId, old, 'left');
    }
    return true;
  },
  getchatmember: (p) => {
    const c = channel(int(p, 'chat_id'));
    const userId = int(p, 'user_id');
    const u = users.get(userId) || {id: userId, first_name: 'user' + userId};
    return {status: c.members.get(userId) || 'left', user: {id: userId, is_bot: false, first_name: u.first_name}};
  },
};

function decideJoin(p, decision) {
  const c = channel(int(p, 'chat_id'));
  const userId = int(p, 'user_id');
  const key = c.id + ':' + userId;
  const r = joinRequests.get(key);
  if (!r) throw bad('HIDE_REQUESTER_MISSING');
  joinRequests.delete(key);
  joinDecisions.push({chat_id: c.id, user_id: userId, decision, at_ms: Date.now()});
  if (decision === 'approved') {
    const old = c.members.get(userId) || 'left';
    c.members.set(userId, 'member');
    memberUpdate(c, userId, old, 'member', r.invite_link ? linkObject(r.invite_link) : undefined);
  }
  return true;
}

function takeInjected(method) {
  const i = injected.findIndex((x) => x.count > 0 && (!x.method || x.method.toLowerCase() === method));
  if (i < 0) return null;
  injected[i].count--;
  return injected[i];
}

async function botApi(method, params, res) {
  const m = methods[method];
  let status = 200;
  let body;
  try {
    if (!m) throw new ApiError(404, 'Not Found');
    const inj = takeInjected(method);
    if (inj && inj.status === 429) {
      throw new ApiError(429, 'Too Many Requests: retry after ' + inj.retry_after, {retry_after: inj.retry_after});
    }
    if (inj) throw new ApiError(inj.status, inj.status >= 500 ? 'Internal Server Error' : 'Bad Request: injected');
    body = {ok: true, result: await m(params)};
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    status = e.code;
    body = {ok: false, error_code: e.code, description: e.message};
    if (e.parameters) body.parameters = e.parameters;
  }
  calls.push({method, status, at_ms: Date.now(), chat_id: params.chat_id !== undefined ? Number(params.chat_id) : undefined});
  send(res, status, body);
}

// ---- HTTP plumbing ----
function send(res, status, body) {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {'Content-Type': 'application/json', 'Content-Length': data.length});
  res.end(data);
}

function readBody(req) {
  return new Promise((resolve) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
  });
}

function parseParams(req, text, url) {
  const params = Object.fromEntries(url.searchParams);
  const type = (req.headers['content-type'] || '').split(';')[0].trim();
  if (text) {
    if (type === 'application/json') Object.assign(params, JSON.parse(text));
    else if (type === 'application/x-www-form-urlencoded') Object.assign(params, Object.fromEntries(new URLSearchParams(text)));
    else throw bad('unsupported content type ' + type);
  }
  return params;
}

function ensureUser(id, info) {
  let u = users.get(id);
  if (!u) { u = {id, first_name: 'user' + id, username: undefined, started: false, blocked: false}; users.set(id, u); }
  if (info && info.first_name) u.first_name = info.first_name;
  if (info && info.username) u.username = info.username;
  return u;
}
function userObject(u) {
  const o = {id: u.id, is_bot: false, first_name: u.first_name};
  if (u.username) o.username = u.username;
  return o;
}

async function control(req, res, url, text) {
  const body = text ? JSON.parse(text) : {};
  const path = url.pathname;
  let m;
  if (req.method === 'POST' && path === '/sim/chats') {
    const old = chats.get(Number(body.id));
    chats.set(Number(body.id), {id: Number(body.id), type: body.type || 'channel', title: body.title || 'channel',
      members: old ? old.members : new Map(), can_invite_users: body.can_invite_users !== false});
    return send(res, 200, {ok: true});
  }
  if (req.method === 'POST' && path === '/sim/users') {
    // Users who have started the bot already (no update is generated): for load tests.
    for (const id of body.ids || []) ensureUser(Number(id)).started = true;
    return send(res, 200, {ok: true, users: users.size});
  }
  if ((m = path.match(/^\/sim\/users\/(-?\d+)\/(message|press|join|block)$/)) && req.method === 'POST') {
    const u = ensureUser(Number(m[1]), body);
    if (m[2] === 'message') {
      u.started = true;
      u.blocked = false;
      const msg = {message_id: nextMessageId++, from: userObject(u), chat: {id: u.id, type: 'private', first_name: u.first_name},
        date: nowS(), text: String(body.text || '')};
      if (msg.text.startsWith('/')) msg.entities = [{type: 'bot_command', offset: 0, length: msg.text.split(' ')[0].length}];
      return send(res, 200, {ok: true, update: pushUpdate('message', msg)});
    }
    if (m[2] === 'press') {
      const list = messages.get(u.id) || [];
      const target = list.find((x) => x.message_id === Number(body.message_id));
      if (!target) return send(res, 404, {ok: false, description: 'no such message in the chat'});
      const buttons = target.reply_markup ? target.reply_markup.inline_keyboard.flat() : [];
      if (!body.force && !buttons.some((b) => b.callback_data === body.data)) {
        return send(res, 409, {ok: false, description: 'the message has no button with that data', buttons});
      }
      const id = crypto.randomBytes(8).toString('hex');
      callbacks.set(id, {user_id: u.id, data: body.data, answered: false});
      const q = {id, from: userObject(u), chat_instance: String(u.id), data: body.data,
        message: {message_id: target.message_id, from: bot, chat: {id: u.id, type: 'private'}, date: nowS(), text: target.text}};
      return send(res, 200, {ok: true, update: pushUpdate('callback_query', q)});
    }
    if (m[2] === 'join') {
      const l = links.get(body.invite_link);
      if (!l || l.is_revoked || (l.expire_date && l.expire_date < nowS())) {
        return send(res, 410, {ok: false, description: 'the invite link is invalid, revoked or expired'});
      }
      const c = chats.get(l.chat_id);
      if (!l.creates_join_request) {
        const old = c.members.get(u.id) || 'left';
        if (old === 'kicked') return send(res, 403, {ok: false, description: 'banned'});
        c.members.set(u.id, 'member');
        memberUpdate(c, u.id, old, 'member', linkObject(body.invite_link));
        return send(res, 200, {ok: true, joined: true});
      }
      joinRequests.set(c.id + ':' + u.id, {chat_id: c.id, user_id: u.id, invite_link: body.invite_link});
      const upd = pushUpdate('chat_join_request', {chat: {id: c.id, type: c.type, title: c.title}, from: userObject(u),
        user_chat_id: u.id, date: nowS(), invite_link: linkObject(body.invite_link)});
      return send(res, 200, {ok: true, update: upd});
    }
    u.blocked = true;
    return send(res, 200, {ok: true});
  }
  if (req.method === 'POST' && (path === '/sim/flood' || path === '/sim/fail')) {
    injected.push({method: body.method, count: Number(body.count || 1),
      status: path === '/sim/flood' ? 429 : Number(body.status || 500), retry_after: Number(body.retry_after || 1)});
    return send(res, 200, {ok: true});
  }
  if (req.method === 'GET' && path === '/sim/messages') {
    return send(res, 200, {ok: true, messages: messages.get(Number(url.searchParams.get('chat_id'))) || []});
  }
  if (req.method === 'GET' && path === '/sim/state') {
    const members = {};
    for (const [id, c] of chats) members[id] = Object.fromEntries(c.members);
    return send(res, 200, {ok: true, members, links: Object.fromEntries([...links].map(([k, v]) => [k, v])),
      join_requests: [...joinRequests.values()], join_decisions: joinDecisions,
      callbacks: Object.fromEntries(callbacks), pending_updates: updates.length,
      webhook: webhook ? webhook.url : '', webhook_deliveries: webhookDeliveries, calls,
      users: [...users.values()]});
  }
  return send(res, 404, {ok: false, description: 'unknown control path'});
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const text = await readBody(req);
  try {
    if (url.pathname.startsWith('/sim/')) {
      if (!req.socket.localAddress || !isControl(req)) return send(res, 404, {ok: false, error_code: 404, description: 'Not Found'});
      return await control(req, res, url, text);
    }
    const m = url.pathname.match(/^\/bot([^/]+)\/([A-Za-z]+)$/);
    if (!m) return send(res, 404, {ok: false, error_code: 404, description: 'Not Found'});
    if (m[1] !== token) return send(res, 401, {ok: false, error_code: 401, description: 'Unauthorized'});
    let params;
    try {
      params = parseParams(req, text, url);
    } catch (e) {
      return send(res, 400, {ok: false, error_code: 400, description: e instanceof ApiError ? e.message : "Bad Request: can't parse JSON"});
    }
    return await botApi(m[2].toLowerCase(), params, res);
  } catch (e) {
    return send(res, 500, {ok: false, error_code: 500, description: 'Internal Server Error: ' + e.message});
  }
}

// ---- listeners ----
const certFile = arg('tls-cert', '');
const keyFile = arg('tls-key', '');
const controlServers = new Set();
function isControl(req) { return controlServers.has(req.socket.server) || !certFile; }

const server = certFile
  ? https.createServer({cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile)}, handle)
  : http.createServer(handle);
server.listen(Number(arg('port', '0')), arg('host', '127.0.0.1'), () => {
  const port = server.address().port;
  const portFile = arg('port-file', '');
  if (portFile) fs.writeFileSync(portFile + '.tmp', String(port)), fs.renameSync(portFile + '.tmp', portFile);
  console.log('telegram-sim listening on ' + (certFile ? 'https' : 'http') + '://127.0.0.1:' + port);
});
const controlPortFile = arg('control-port-file', '');
if (controlPortFile) {
  const c = http.createServer(handle);
  controlServers.add(c);
  c.listen(0, '127.0.0.1', () => {
    fs.writeFileSync(controlPortFile + '.tmp', String(c.address().port));
    fs.renameSync(controlPortFile + '.tmp', controlPortFile);
  });
}
