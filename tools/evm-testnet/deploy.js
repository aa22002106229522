#!/usr/bin/env node
// Compiles TestToken.sol and deploys it to a JSON-RPC node with unlocked accounts.
//   node deploy.js --modules DIR --rpc URL --out FILE [--decimals 18]
// Writes {"token","deployer","accounts","block","decimals","tx"} as JSON to FILE.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

function die(msg, code = 1) {
  process.stderr.write(`deploy.js: ${msg}\n`);
  process.exit(code);
}

function parseArgs(argv, allowed) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    const a = argv[i];
    if (!a.startsWith('--') || !allowed.includes(a.slice(2))) die(`unknown argument: ${a}`, 2);
    if (i + 1 >= argv.length) die(`missing value for ${a}`, 2);
    out[a.slice(2)] = argv[i + 1];
  }
  return out;
}

let rpcId = 0;
function rpc(url, method, params) {
  const u = new URL(url);
  const body = JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params });
  return new Promise((resolve, reject) => {
    const req = http.request({
      hostname: u.hostname, port: u.port || 80, path: u.pathname + u.search, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      timeout: 30000,
    }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { data += c; });
      res.on('end', () => {
        let j;
        try { j = JSON.parse(data); } catch (e) {
          return reject(new Error(`${method}: HTTP ${res.statusCode}, unparsable answer: ${data.slice(0, 200)}`));
        }
        if (j.error) return reject(new Error(`${method}: ${j.error.message || JSON.stringify(j.error)}`));
        resolve(j.result);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method}: timeout`)));
    req.on('error', reject);
    req.end(body);
  });
}

function compile(solc, source) {
  const input = {
    language: 'Solidity',
    sources: { 'TestToken.sol': { content: source } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'shanghai',
      outputSelection: { '*': { TestToken: ['abi', 'evm.bytecode.object'] } },
    },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (out.errors || []).filter((e) => e.severity === 'error');
  if (errors.length) die(`solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const c = out.contracts['TestToken.sol'].TestToken;
  return { abi: c.abi, bytecode: c.evm.bytecode.object };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const args = parseArgs(process.argv.slice(2), ['modules', 'rpc', 'out', 'decimals']);
  if (!args.modules || !args.rpc || !args.out) {
    die('usage: node deploy.js --modules DIR --rpc URL --out FILE [--decimals 18]', 2);
  }
  const decimals = Number(args.decimals ?? 18);
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 255) die(`bad --decimals: ${args.decimals}`, 2);

  let solc;
  try {
    solc = require(path.join(path.resolve(args.modules), 'node_modules', 'solc'));
  } catch (e) {
    die(`cannot load solc from ${args.modules}/node_modules (run tools/evm-testnet/install): ${e.message}`);
  }
  const source = fs.readFileSync(path.join(__dirname, 'TestToken.sol'), 'utf8');
  const { bytecode } = compile(solc, source);

  const accounts = await rpc(args.rpc, 'eth_accounts', []);
  if (!Array.isArray(accounts) || accounts.length === 0) die('node has no unlocked accounts');
  const deployer = accounts[0];
  // constructor(uint8 decimals_): one 32-byte big-endian word
  const data = '0x' + bytecode + decimals.toString(16).padStart(64, '0');

  const tx = { from: deployer, data };
  const gas = await rpc(args.rpc, 'eth_estimateGas', [tx]);
  tx.gas = '0x' + Math.ceil(Number(gas) * 1.2).toString(16);
  const hash = await rpc(args.rpc, 'eth_sendTransaction', [tx]);

  let receipt = null;
  const deadline = Date.now() + 60000;
  while (!(receipt = await rpc(args.rpc, 'eth_getTransactionReceipt', [hash]))) {
    if (Date.now() > deadline) die(`no receipt for ${hash} after 60 s (is the miner stopped?)`);
    await sleep(100);
  }
  if (Number(receipt.status) !== 1) die(`deployment reverted (tx ${hash})`);

  const result = {
    token: receipt.contractAddress,
    deployer,
    accounts,
    block: Number(receipt.blockNumber),
    decimals,
    tx: hash,
  };
  const out = path.resolve(args.out);
  fs.writeFileSync(out + '.tmp', JSON.stringify(result, null, 2) + '\n');
  fs.renameSync(out + '.tmp', out);
  process.stdout.write(`deployed TestToken (decimals ${decimals}) at ${result.token} in block ${result.block}\n`);
}

main().catch((e) => die(e && e.message || String(e)));
