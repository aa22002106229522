#!/usr/bin/env node
// Starts a ganache EVM node on 127.0.0.1 (free port) for integration tests.
//   node ganache.js --modules DIR --port-file FILE [--chain-id 56] [--block-time 0]
//                   [--accounts 10] [--instamine eager|strict] [--exit-with-parent]
// Writes the port number to FILE (atomically: FILE.tmp then rename) once the
// node answers JSON-RPC. Exits cleanly on SIGTERM/SIGINT.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

function parseArgs(argv, spec) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument: ${a}`);
    const key = a.slice(2);
    if (!(key in spec)) throw new Error(`unknown option: ${a}`);
    if (spec[key] === 'flag') { out[key] = true; continue; }
    if (i + 1 >= argv.length) throw new Error(`missing value for ${a}`);
    out[key] = argv[++i];
  }
  return out;
}

function die(msg) {
  process.stderr.write(`ganache.js: ${msg}\n`);
  process.exit(2);
}

function rpc(port, method, params) {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
    const req = http.request({
      host: '127.0.0.1', port, method: 'POST', path: '/',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { data += c; });
      res.on('end', () => {
        try {
          const j = JSON.parse(data);
          if (j.error) reject(new Error(j.error.message)); else resolve(j.result);
        } catch (e) { reject(e); }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2), {
      modules: 'value', 'port-file': 'value', 'chain-id': 'value',
      'block-time': 'value', accounts: 'value', instamine: 'value', 'exit-with-parent': 'flag',
    });
  } catch (e) { die(e.message); }
  if (!args.modules || !args['port-file']) {
    die('usage: node ganache.js --modules DIR --port-file FILE [--chain-id 56] [--block-time 0] [--accounts 10] [--instamine eager|strict] [--exit-with-parent]');
  }
  const chainId = Number(args['chain-id'] ?? 56);
  const blockTime = Number(args['block-time'] ?? 0);
  const accounts = Number(args.accounts ?? 10);
  if (!Number.isInteger(chainId) || chainId <= 0) die(`bad --chain-id: ${args['chain-id']}`);
  if (!(blockTime >= 0)) die(`bad --block-time: ${args['block-time']}`);
  if (!Number.isInteger(accounts) || accounts <= 0) die(`bad --accounts: ${args.accounts}`);
  // eager (ganache's default): a send returns once its tx is mined, so a send
  // with a nonce gap does not answer until the gap is filled; strict: the hash
  // comes back at once and the block is mined right after.
  const instamine = args.instamine ?? 'eager';
  if (!['eager', 'strict'].includes(instamine)) die(`bad --instamine: ${args.instamine}`);

  const modulesDir = path.resolve(args.modules);
  let ganache;
  try {
    ganache = require(path.join(modulesDir, 'node_modules', 'ganache'));
  } catch (e) {
    die(`cannot load ganache from ${modulesDir}/node_modules (run tools/evm-testnet/install ${args.modules}): ${e.message}`);
  }

  const portFile = path.resolve(args['port-file']);
  const started = Date.now();
  const server = ganache.server({
    chain: { chainId, networkId: chainId },
    wallet: { deterministic: true, totalAccounts: accounts },
    miner: { blockTime, instamine },
    logging: { quiet: true },
  });

  let closing = false;
  const shutdown = async (sig) => {
    if (closing) return;
    closing = true;
    setTimeout(() => process.exit(1), 5000).unref();
    try { await server.close(); } catch (_) { /* already closed */ }
    try { fs.unlinkSync(portFile); } catch (_) { /* not written */ }
    process.exit(sig === 'error' ? 1 : 0);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  if (args['exit-with-parent']) {
    const parent = process.ppid;
    setInterval(() => { if (process.ppid !== parent) shutdown('parent'); }, 500).unref();
  }

  await server.listen(0, '127.0.0.1');
  const addr = server.address();
  if (!addr || !addr.port) throw new Error('ganache did not report its port');
  const port = addr.port;

  // Ready = answers a JSON-RPC request over HTTP.
  const chain = await rpc(port, 'eth_chainId', []);
  if (Number(chain) !== chainId) throw new Error(`unexpected chain id ${chain}`);

  fs.writeFileSync(portFile + '.tmp', `${port}\n`);
  fs.renameSync(portFile + '.tmp', portFile);
  process.stdout.write(`ganache ${require(path.join(modulesDir, 'node_modules', 'ganache', 'package.json')).version} ` +
    `listening on 127.0.0.1:${port} chainId ${chainId} blockTime ${blockTime} (ready in ${Date.now() - started} ms)\n`);
}

main().catch((e) => {
  process.stderr.write(`ganache.js: ${e && e.stack || e}\n`);
  process.exit(1);
});
