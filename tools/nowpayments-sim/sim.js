#!/usr/bin/env node
// A local NOWPayments simulator for tests and `tools/run --demo`. It implements the endpoints
// telepay calls, as NOWPayments documents them (docs/NOWPAYMENTS.md):
//   GET  /v1/status                -> {"message":"OK"}
//   POST /v1/invoice               -> 201 invoice (x-api-key required; id and price_amount as strings)
//   GET  /v1/payment/:payment_id   -> the payment (x-api-key required; ids and amounts as numbers)
// and sends IPNs the way NOWPayments does: POST to the invoice's ipn_callback_url, header
// x-nowpayments-sig = HMAC-SHA512(ipn secret, JSON.stringify(sortObject(body))) in hex, or the
// legacy JSON.stringify(body, Object.keys(body).sort()) form. Signing uses Node's own
// JSON.stringify, so it checks telepay's C++ re-serialization independently.
//
// Test control (not part of NOWPayments), under /sim/:
//   POST /sim/pay   {"order_id", "scenario": "finished"|"partially_paid"|"expired"|"failed",
//                    "duplicates": N, "out_of_order": bool, "signature": "recursive"|"legacy"|"bad",
//                    "drop_final": bool, "paid_ratio": 0.25, "parent_payment_id": N}
//                   creates a payment for the order's invoice and delivers its IPNs in order
//                   (waiting, confirming, confirmed, sending, final), each duplicated N times, or
//                   the final one first (out_of_order), or without the final one (drop_final:
//                   only polling finds it). Answers with every delivery's HTTP status and body.
//   POST /sim/ipn   {"url", "body", "signature"} sends one IPN as given.
//   POST /sim/fail  {"path": "/v1/invoice", "count": N, "status": 503 | "hang", "create": bool}
//                   fails the next N calls of that endpoint. With "create" (POST /v1/invoice
//                   only) the invoice is created first and only the answer is lost: the 5xx or
//                   the hang comes after NOWPayments has the invoice.
//   POST /sim/resend {"payment_id", "signature", "times", "url"} delivers the payment's current
//                   status again (NOWPayments' "resend IPN" button), optionally to another URL.
//   POST /sim/status {"payment_id", "payment_status", "signature", "times"} changes a payment's
//                   status after the fact (a refund by NOWPayments support, a partially paid
//                   payment marked finished) and delivers its IPN `times` times.
//   GET  /sim/invoices?order_id=X  every invoice created for the order (NOWPayments does not
//                   deduplicate order ids), as {"count", "invoices"}.
//   GET  /sim/stats request counts per endpoint.
//
// Usage: node sim.js --port 0 --port-file F --api-key K --ipn-secret S
//                    [--tls-cert C --tls-key K] [--control-port-file F2]
// With TLS, --control-port-file also opens a plain-HTTP listener on loopback (same handler) so
// that tests can drive /sim/* without a TLS client.

'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const https = require('https');

function arg(name, fallback) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const apiKey = arg('api-key', '');
const ipnSecret = arg('ipn-secret', '');
const portFile = arg('port-file', '');
const certFile = arg('tls-cert', '');
const keyFile = arg('tls-key', '');
if (!apiKey || !ipnSecret) {
  console.error('nowpayments-sim: --api-key and --ipn-secret are required');
  process.exit(2);
}

// The documented helper (NOWPayments "IPN" docs, Node example).
function sortObject(obj) {
  return Object.keys(obj).sort().reduce((result, key) => {
    result[key] = (obj[key] && typeof obj[key] === 'object') ? sortObject(obj[key]) : obj[key];
    return result;
  }, {});
}

function sign(body, how) {
  const text = how === 'legacy' ? JSON.stringify(body, Object.keys(body).sort())
                                : JSON.stringify(sortObject(body));
  const secret = how === 'bad' ? ipnSecret + '-wrong' : ipnSecret;
  return crypto.createHmac('sha512', secret).update(text).digest('hex');
}

const invoices = new Map();   // id -> invoice
const byOrder = new Map();    // order_id -> [invoice id], oldest first
const payments = new Map();   // payment_id -> payment
let nextInvoice = 4500000000;
let nextPayment = 5000000000;
const stats = {};
const failures = {};          // path -> {count, status, create}

function reply(res, status, body) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text)});
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function authorized(req, res) {
  if (req.headers['x-api-key'] !== apiKey) {
    reply(res, 403, {status: false, statusCode: 403, code: 'INVALID_API_KEY', message: 'Invalid api key'});
    return false;
  }
  return true;
}

function round(x, digits) {
  const f = Math.pow(10, digits);
  return Math.round(x * f) / f;
}

function paymentBody(p) {
  return {
    payment_id: p.payment_id,
    parent_payment_id: p.parent_payment_id,
    invoice_id: p.invoice_id,
    payment_status: p.payment_status,
    pay_address: '0x' + crypto.createHash('sha256').update(String(p.payment_id)).digest('hex').slice(0, 40),
    payin_extra_id: null,
    price_amount: p.price_amount,
    price_currency: 'usd',
    pay_amount: p.pay_amount,
    actually_paid: p.actually_paid,
    actually_paid_at_fiat: p.actually_paid_at_fiat,
    pay_currency: 'usdtbsc',
    order_id: p.order_id,
    order_description: p.order_description,
    purchase_id: String(p.purchase_id),
    outcome_amount: p.outcome_amount,
    outcome_currency: 'usdtbsc',
    payment_extra_ids: null,
    fee: {currency: 'usdtbsc', depositFee: 0.0000001, withdrawalFee: 0, serviceFee: round(p.price_amount * 0.005, 4)},
    updated_at: Date.now(),
  };
}

function post(url, body, signature) {
  return new Promise((resolve) => {
    const text = JSON.stringify(body);
    const target = new URL(url);
    const lib = target.protocol === 'https:' ? https : http;
    const headers = {'content-type': 'application/json', 'content-length': Buffer.byteLength(text)};
    if (signature !== null) headers['x-nowpayments-sig'] = signature;
    const req = lib.request(target, {method: 'POST', headers, timeout: 10000}, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({status: res.statusCode, body: Buffer.concat(chunks).toString('utf8')}));
    });
    req.on('error', (e) => resolve({status: 0, body: String(e)}));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(text);
  });
}

async function deliver(invoice, p, how, times) {
  const out = [];
  for (let i = 0; i < times; i++) {
    const body = paymentBody(p);
    const r = await post(invoice.ipn_callback_url, body, sign(body, how));
    out.push({payment_status: p.payment_status, status: r.status, body: r.body});
  }
  return out;
}

async function pay(spec) {
  const ids = byOrder.get(spec.order_id);
  if (ids === undefined) return {status: 404, body: {message: 'no invoice for order ' + spec.order_id}};
  const id = ids[ids.length - 1];  // the newest invoice of the order
  const invoice = invoices.get(id);
  const scenario = spec.scenario || 'finished';
  const price = Number(invoice.price_amount);
  const payAmount = round(price * 1.0041, 4);
  const ratio = spec.paid_ratio === undefined ? 0.5 : spec.paid_ratio;
  const p = {
    payment_id: nextPayment++, parent_payment_id: spec.parent_payment_id || null, invoice_id: Number(id),
    payment_status: 'waiting', price_amount: price, pay_amount: payAmount, actually_paid: 0,
    actually_paid_at_fiat: 0, order_id: invoice.order_id, order_description: invoice.order_description,
    purchase_id: nextPayment + 7, outcome_amount: 0,
  };
  payments.set(p.payment_id, p);
  const steps = scenario === 'finished' ? ['waiting', 'confirming', 'confirmed', 'sending', 'finished']
              : scenario === 'partially_paid' ? ['waiting', 'confirming', 'partially_paid']
              : scenario === 'expired' ? ['waiting', 'expired']
              : scenario === 'failed' ? ['waiting', 'confirming', 'failed'] : null;
  if (steps === null) return {status: 400, body: {message: 'unknown scenario ' + scenario}};
  const how = spec.signature || 'recursive';
  const times = spec.duplicates || 1;
  const apply = (status) => {
    p.payment_status = status;
    if (['confirming', 'confirmed', 'sending', 'finished'].includes(status)) {
      p.actually_paid = payAmount;
      p.actually_paid_at_fiat = price;
      p.outcome_amount = round(payAmount * 0.995, 4);
    }
    if (status === 'partially_paid') {
      p.actually_paid = round(payAmount * ratio, 4);
      p.actually_paid_at_fiat = round(price * ratio, 2);
      p.outcome_amount = round(p.actually_paid * 0.995, 4);
    }
  };
  const deliveries = [];
  const finalStatus = steps[steps.length - 1];
  if (spec.out_of_order) {
    apply(finalStatus);
    deliveries.push(...await deliver(invoice, p, how, times));
    for (const status of steps.slice(0, -1)) {
      const snapshot = {...p, payment_status: status};
      deliveries.push(...await deliver(invoice, snapshot, how, times));
    }
    return {status: 200, body: {payment_id: p.payment_id, deliveries}};
  }
  for (const status of steps) {
    apply(status);
    if (status === finalStatus && spec.drop_final) break;  // NOWPayments never got through
    deliveries.push(...await deliver(invoice, p, how, times));
  }
  return {status: 200, body: {payment_id: p.payment_id, deliveries}};
}

// The next scheduled failure of an endpoint, consumed; null when none.
function takeFailure(path) {
  const f = failures[path];
  if (!f || f.count <= 0) return null;
  f.count -= 1;
  return f;
}

function answerFailure(f, res) {
  if (f.status === 'hang') return;  // never answer: the client's deadline must fire
  reply(res, f.status, {status: false, statusCode: f.status, message: 'simulated failure'});
}

function failing(path, res) {
  const f = takeFailure(path);
  if (f === null) return false;
  answerFailure(f, res);
  return true;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://sim');
  const path = url.pathname;
  const key = req.method + ' ' + (path.startsWith('/v1/payment/') ? '/v1/payment/:id' : path);
  stats[key] = (stats[key] || 0) + 1;
  const text = await readBody(req);
  let body = {};
  if (text) {
    try { body = JSON.parse(text); } catch (e) {
      return reply(res, 400, {status: false, statusCode: 400, message: 'Invalid JSON'});
    }
  }
  if (req.method === 'GET' && path === '/v1/status') return reply(res, 200, {message: 'OK'});
  if (req.method === 'POST' && path === '/v1/invoice') {
    if (!authorized(req, res)) return;
    const failure = takeFailure('/v1/invoice');
    if (failure !== null && !failure.create) return answerFailure(failure, res);
    if (typeof body.price_amount !== 'number' || !(body.price_amount > 0) || typeof body.price_currency !== 'string') {
      return reply(res, 400, {status: false, statusCode: 400, code: 'INVALID_REQUEST_PARAMS',
                              message: 'price_amount and price_currency are required'});
    }
    const id = String(nextInvoice++);
    const now = new Date().toISOString();
    const invoice = {
      id, token_id: crypto.randomBytes(5).toString('hex'), order_id: body.order_id || null,
      order_description: body.order_description || null, price_amount: String(body.price_amount),
      price_currency: body.price_currency, pay_currency: body.pay_currency || null,
      ipn_callback_url: body.ipn_callback_url || null,
      invoice_url: (certFile ? 'https' : 'http') + '://localhost:' + server.address().port + '/payment/?iid=' + id,
      success_url: body.success_url || null, cancel_url: body.cancel_url || null,
      created_at: now, updated_at: now,
    };
    invoices.set(id, invoice);
    // NOWPayments does not deduplicate order ids: a second POST makes a second invoice.
    if (invoice.order_id !== null) byOrder.set(invoice.order_id, [...(byOrder.get(invoice.order_id) || []), id]);
    if (failure !== null) return answerFailure(failure, res);  // created, then the answer is lost
    return reply(res, 201, invoice);
  }
  if (req.method === 'GET' && path.startsWith('/v1/payment/')) {
    if (!authorized(req, res) || failing('/v1/payment', res)) return;
    const p = payments.get(Number(path.slice('/v1/payment/'.length)));
    if (!p) return reply(res, 404, {status: false, statusCode: 404, message: 'Payment not found'});
    const b = paymentBody(p);
    delete b.fee;
    return reply(res, 200, b);
  }
  if (req.method === 'POST' && path === '/sim/pay') {
    const r = await pay(body);
    return reply(res, r.status, r.body);
  }
  if (req.method === 'POST' && path === '/sim/resend') {
    const p = payments.get(Number(body.payment_id));
    if (!p) return reply(res, 404, {message: 'no payment ' + body.payment_id});
    const invoice = invoices.get(String(p.invoice_id));
    const target = body.url ? {...invoice, ipn_callback_url: body.url} : invoice;
    const deliveries = await deliver(target, p, body.signature || 'recursive', body.times || 1);
    return reply(res, 200, {payment_id: p.payment_id, deliveries});
  }
  if (req.method === 'POST' && path === '/sim/status') {
    const p = payments.get(Number(body.payment_id));
    if (!p) return reply(res, 404, {message: 'no payment ' + body.payment_id});
    if (typeof body.payment_status !== 'string') return reply(res, 400, {message: 'payment_status is required'});
    p.payment_status = body.payment_status;
    const invoice = invoices.get(String(p.invoice_id));
    const deliveries = await deliver(invoice, p, body.signature || 'recursive', body.times || 1);
    return reply(res, 200, {payment_id: p.payment_id, deliveries});
  }
  if (req.method === 'GET' && path === '/sim/invoices') {
    const ids = byOrder.get(url.searchParams.get('order_id')) || [];
    return reply(res, 200, {count: ids.length, invoices: ids.map((id) => invoices.get(id))});
  }
  if (req.method === 'POST' && path === '/sim/ipn') {
    const how = body.signature || 'recursive';
    const r = await post(body.url, body.body, how === 'none' ? null : sign(body.body, how));
    return reply(res, 200, r);
  }
  if (req.method === 'POST' && path === '/sim/fail') {
    failures[body.path] = {count: body.count || 1, status: body.status || 503, create: body.create === true};
    return reply(res, 200, {ok: true});
  }
  if (req.method === 'GET' && path === '/sim/stats') return reply(res, 200, stats);
  return reply(res, 404, {status: false, statusCode: 404, message: 'Not found'});
}

const server = certFile
  ? https.createServer({cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile)}, handle)
  : http.createServer(handle);
server.listen(Number(arg('port', '0')), arg('host', '127.0.0.1'), () => {
  const port = server.address().port;
  if (portFile) {
    fs.writeFileSync(portFile + '.tmp', String(port) + '\n');
    fs.renameSync(portFile + '.tmp', portFile);
  }
  console.log('nowpayments-sim listening on ' + (certFile ? 'https' : 'http') + '://127.0.0.1:' + port);
});
const controlPortFile = arg('control-port-file', '');
if (controlPortFile) {
  const control = http.createServer(handle);
  control.listen(0, '127.0.0.1', () => {
    fs.writeFileSync(controlPortFile + '.tmp', String(control.address().port) + '\n');
    fs.renameSync(controlPortFile + '.tmp', controlPortFile);
  });
}
process.on('SIGTERM', () => process.exit(0));
