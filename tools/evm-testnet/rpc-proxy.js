#!/usr/bin/env node
// Fault-injecting JSON-RPC proxy for tests.
//   node rpc-proxy.js --upstream http://127.0.0.1:PORT --port-file FILE --control-port-file FILE2
// Listens on 127.0.0.1 (free port, written to FILE) and forwards POST bodies to
// the upstream. A control server (port in FILE2) sets the fault mode:
//   POST /mode  {"mode": M, "count": N?, "methods": [..]?, "value": V?}
//               or {"rules": [{"mode": M, ...}, ...]} (several faults at once)
//   GET  /mode  current rules;  GET /stats  counters;  POST /reset  pass + zero counters
// Modes: pass, garbage, truncated, wrong_id, error, http500, hang, bad_result,
// patch, delay.
// "count" limits the fault to the next N matching requests (then the rule is
// gone); "methods" limits it to requests naming one of these methods (a batch
// matches when any of its calls does); "value" is, for bad_result, the result to
// put in; for patch, an object whose fields replace the real result's (a lying
// node: {"status":"0x0"} on eth_getTransactionReceipt; a null result stays null);
// for delay, the milliseconds to wait before forwarding. A request takes the
// first rule that matches it.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const MODES = ['pass', 'garbage', 'truncated', 'wrong_id', 'error', 'http500', 'hang', 'bad_result', 'patch', 'delay'];

function die(msg, code = 2) {
  process.stderr.write(`rpc-proxy.js: ${msg}\n`);
  process.exit(code);
}

function parseArgs(argv, allowed) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    const a = argv[i];
    if (!a.startsWith('--') || !allowed.includes(a.slice(2))) die(`unknown argument: ${a}`);
    if (i + 1 >= argv.length) die(`missing value for ${a}`);
    out[a.slice(2)] = argv[i + 1];
  }
  return out;
}

const args = parseArgs(process.argv.slice(2), ['upstream', 'port-file', 'control-port-file']);
if (!args.upstream || !args['port-file'] || !args['control-port-file']) {
  die('usage: node rpc-proxy.js --upstream URL --port-file FILE --control-port-file FILE2');
}
const upstream = new URL(args.upstream);
if (upstream.protocol !== 'http:') die('only http:// upstreams are supported');
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

// ---- state ----------------------------------------------------------------
// The active rules, first match wins; an empty list passes everything.
let rules = [];
let stats;
function resetStats() {
  stats = { requests: 0, batches: 0, methods: {}, faults: {}, faults_by_method: {}, upstream_errors: 0 };
}
resetStats();
const hung = new Set();

function bump(obj, key) { obj[key] = (obj[key] || 0) + 1; }

// Returns the fault ({mode, value}) to apply to a request naming `methods`,
// consuming one unit of the matching rule's `count`.
const PASS = { mode: 'pass', value: undefined };
function takeFault(methods) {
  const at = rules.findIndex((r) => !r.methods || methods.some((m) => r.methods.includes(m)));
  if (at < 0) return PASS;
  const rule = rules[at];
  const taken = { mode: rule.mode, value: rule.value };
  if (rule.count !== null) {
    rule.count -= 1;
    if (rule.count <= 0) rules.splice(at, 1);
  }
  return taken;
}

// A rule from the control API, or an error message.
function parseRule(j) {
  if (!j || !MODES.includes(j.mode)) return `mode must be one of ${MODES.join(', ')}`;
  if (j.count !== undefined && j.count !== null && !(Number.isInteger(j.count) && j.count > 0)) {
    return 'count must be a positive integer';
  }
  if (j.methods !== undefined && j.methods !== null &&
      !(Array.isArray(j.methods) && j.methods.every((m) => typeof m === 'string'))) {
    return 'methods must be an array of strings';
  }
  if (j.mode === 'patch' && (j.value === null || typeof j.value !== 'object' || Array.isArray(j.value))) {
    return 'patch needs an object value';
  }
  if (j.mode === 'delay' && !(Number.isInteger(j.value) && j.value >= 0 && j.value <= 60000)) {
    return 'delay needs a value of 0..60000 ms';
  }
  return {
    mode: j.mode,
    count: j.count ?? null,
    methods: j.methods && j.methods.length ? j.methods : null,
    value: j.value,
  };
}

// ---- helpers --------------------------------------------------------------
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res, status, body, type = 'application/json') {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
  res.writeHead(status, { 'content-type': type, 'content-length': buf.length });
  res.end(buf);
}

function forward(req, body) {
  return new Promise((resolve, reject) => {
    const up = http.request({
      hostname: upstream.hostname, port: upstream.port || 80, agent,
      path: req.url === '/' ? (upstream.pathname || '/') : req.url,
      method: 'POST',
      headers: { 'content-type': req.headers['content-type'] || 'application/json', 'content-length': body.length },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    up.on('error', reject);
    up.end(body);
  });
}

// A value of the wrong type for whatever the real result was.
function wrongValue(result, value) {
  if (value !== undefined) return value;
  if (result !== null && typeof result === 'object' && !Array.isArray(result)) return 12345;
  if (typeof result === 'string' || result === null) return 12345;
  return { junk: true, unexpected: 'field', nested: { x: [1, 2, 3] } };
}

function mapResponses(parsed, fn) {
  return Array.isArray(parsed) ? parsed.map(fn) : fn(parsed);
}

// ---- data server ------------------------------------------------------------
const server = http.createServer(async (req, res) => {
  if (req.method !== 'POST') return send(res, 405, '{"error":"POST only"}');
  let body;
  try { body = await readBody(req); } catch (_) { return; }

  let parsed = null;
  try { parsed = JSON.parse(body.toString('utf8')); } catch (_) { /* forwarded as is */ }
  const calls = Array.isArray(parsed) ? parsed : (parsed && typeof parsed === 'object' ? [parsed] : []);
  const methods = calls.map((c) => (c && typeof c.method === 'string' ? c.method : '<invalid>'));
  if (methods.length === 0) methods.push('<unparsable>');
  stats.requests += 1;
  if (Array.isArray(parsed)) stats.batches += 1;
  methods.forEach((m) => bump(stats.methods, m));

  const taken = takeFault(methods);
  const mode = taken.mode;
  if (mode !== 'pass') {
    bump(stats.faults, mode);
    methods.forEach((m) => bump(stats.faults_by_method, m));
  }

  switch (mode) {
    case 'garbage':
      return send(res, 200, '<html>oops', 'text/html');
    case 'http500':
      return send(res, 500, 'injected HTTP 500', 'text/plain');
    case 'hang':
      // Never answer; keep the socket open until the client gives up.
      hung.add(res.socket);
      res.socket.setTimeout(0);
      res.socket.once('close', () => hung.delete(res.socket));
      return;
    case 'error': {
      const err = (c) => ({ jsonrpc: '2.0', id: c && c.id !== undefined ? c.id : null,
        error: { code: -32000, message: 'injected failure' } });
      return send(res, 200, JSON.stringify(Array.isArray(parsed) ? parsed.map(err) : err(parsed)));
    }
    default:
      break;
  }

  if (mode === 'delay') await new Promise((resolve) => setTimeout(resolve, taken.value));
  let answer;
  try {
    answer = await forward(req, body);
  } catch (e) {
    stats.upstream_errors += 1;
    return send(res, 502, JSON.stringify({ jsonrpc: '2.0', id: parsed && parsed.id !== undefined ? parsed.id : null,
      error: { code: -32603, message: `rpc-proxy: upstream unreachable: ${e.message}` } }));
  }

  if (mode === 'truncated') {
    return send(res, answer.status, answer.body.subarray(0, Math.floor(answer.body.length / 2)), answer.type);
  }
  if (mode === 'wrong_id' || mode === 'bad_result' || mode === 'patch') {
    let a;
    try { a = JSON.parse(answer.body.toString('utf8')); } catch (_) {
      return send(res, answer.status, answer.body, answer.type);
    }
    const out = mapResponses(a, (r) => {
      if (!r || typeof r !== 'object') return r;
      const c = { ...r };
      if (mode === 'wrong_id') {
        c.id = typeof r.id === 'number' ? r.id + 1000 : `${r.id}1000`;
      } else if (mode === 'patch') {
        if (r.result !== null && typeof r.result === 'object' && !Array.isArray(r.result)) {
          c.result = { ...r.result, ...taken.value };
        }
      } else {
        c.result = wrongValue(r.result, taken.value);
        delete c.error;
      }
      return c;
    });
    return send(res, answer.status, JSON.stringify(out), 'application/json');
  }
  return send(res, answer.status, answer.body, answer.type || 'application/json');
});
server.keepAliveTimeout = 60000;
server.requestTimeout = 0;

// ---- control server ---------------------------------------------------------
const control = http.createServer(async (req, res) => {
  const url = req.url.split('?')[0];
  if (req.method === 'GET' && url === '/stats') {
    return send(res, 200, JSON.stringify({ ...stats, rules, hung_connections: hung.size }));
  }
  if (req.method === 'GET' && url === '/mode') return send(res, 200, JSON.stringify({ rules }));
  if (req.method === 'POST' && url === '/reset') {
    rules = [];
    resetStats();
    return send(res, 200, '{"ok":true}');
  }
  if (req.method === 'POST' && url === '/mode') {
    let j;
    try { j = JSON.parse((await readBody(req)).toString('utf8')); } catch (e) {
      return send(res, 400, JSON.stringify({ ok: false, error: `bad JSON: ${e.message}` }));
    }
    const asked = j && Array.isArray(j.rules) ? j.rules : [j];
    const parsed = [];
    for (const one of asked) {
      const rule = parseRule(one);
      if (typeof rule === 'string') return send(res, 400, JSON.stringify({ ok: false, error: rule }));
      if (rule.mode !== 'pass') parsed.push(rule);
    }
    rules = parsed;
    return send(res, 200, JSON.stringify({ ok: true, rules }));
  }
  return send(res, 404, '{"ok":false,"error":"use POST /mode, GET /mode, GET /stats, POST /reset"}');
});

function listen(srv) {
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve(srv.address().port));
  });
}

function writeAtomic(file, text) {
  const f = path.resolve(file);
  fs.writeFileSync(f + '.tmp', text);
  fs.renameSync(f + '.tmp', f);
}

function shutdown() {
  for (const s of hung) s.destroy();
  server.close();
  control.close();
  agent.destroy();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

(async () => {
  const port = await listen(server);
  const cport = await listen(control);
  writeAtomic(args['control-port-file'], `${cport}\n`);
  writeAtomic(args['port-file'], `${port}\n`);
  process.stdout.write(`rpc-proxy listening on 127.0.0.1:${port} (control 127.0.0.1:${cport}) -> ${args.upstream}\n`);
})().catch((e) => die(e.message, 1));
