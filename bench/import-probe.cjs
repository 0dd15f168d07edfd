// Runs in a fresh Node process: counts network attempts while requiring one bundle, and times it.
'use strict';
const net = require('node:net');
const dns = require('node:dns');
const attempts = [];
const origConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  attempts.push('connect');
  return origConnect.apply(this, args);
};
const origLookup = dns.lookup;
dns.lookup = function (...args) {
  attempts.push('dns');
  return origLookup.apply(this, args);
};
const origFetch = globalThis.fetch;
globalThis.fetch = function (...args) {
  attempts.push('fetch');
  return origFetch.apply(this, args);
};
const started = performance.now();
require(process.argv[2]);
const importMs = performance.now() - started;
// Give anything scheduled during import a moment to try the network.
setTimeout(() => {
  process.stdout.write(JSON.stringify({ importMs, network: attempts.length }));
  process.exit(0);
}, 200);
