// esbuild plugins for do-creds' Lambda bundles (serverless.yml `custom.esbuild.plugins`, and the
// benchmark). Code a Lambda never runs is replaced by stubs that fail loudly if anything ever calls
// them, so a cold start neither parses nor evaluates it (npm run bench, "cold import"):
// - Bolt's index loads every receiver it ships; do-creds uses only AwsLambdaReceiver. The Express,
//   HTTP-server and Socket Mode receivers (which load node:http and node:https at import) and their
//   dependencies are only used inside those receivers' constructors.
// - pino loads its file destination (sonic-boom, which loads node:assert) and its worker-thread
//   transport (thread-stream) at import; do-creds always gives pino a stream (src/lib/logger.ts) and
//   never calls pino.destination() or pino.transport(), the only places they are constructed.
'use strict';

const UNUSED = ['express', 'raw-body', '@slack/socket-mode', '@slack/oauth'];
const filter = new RegExp(`^(${UNUSED.map((m) => m.replace(/[/\\-]/g, '\\$&')).join('|')})$`);
const fail = (what) => `throw new Error(${JSON.stringify(`${what} is not bundled in do-creds: only Bolt's AwsLambdaReceiver is used`)})`;

const unusedBoltReceivers = {
  name: 'unused-bolt-receivers',
  setup(build) {
    build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'unused-bolt-receiver' }));
    // Bolt's own receiver modules, as its index and App require them (`./receivers/HTTPReceiver`).
    build.onResolve({ filter: /^\.\/receivers\/(HTTPReceiver|ExpressReceiver|SocketModeReceiver)$/ }, (args) =>
      /[/\\]node_modules[/\\]@slack[/\\]bolt[/\\]/.test(args.importer) ? { path: args.path.slice('./receivers/'.length), namespace: 'unused-bolt-receiver-class' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'unused-bolt-receiver' }, (args) => ({
      loader: 'js',
      contents: `
        const fail = () => { ${fail(args.path)}; };
        module.exports = new Proxy(fail, { get: (_t, key) => (key === '__esModule' ? false : fail), apply: fail, construct: fail });
      `,
    }));
    // A class, as Bolt's App checks `receiver instanceof SocketModeReceiver` (in Socket Mode only).
    build.onLoad({ filter: /.*/, namespace: 'unused-bolt-receiver-class' }, (args) => ({
      loader: 'js',
      contents: `
        exports.__esModule = true;
        exports.default = class ${args.path} { constructor() { ${fail(`Bolt's ${args.path}`)}; } };
      `,
    }));
  },
};

const unusedPinoDestinations = {
  name: 'unused-pino-destinations',
  setup(build) {
    build.onResolve({ filter: /^(sonic-boom|thread-stream)$/ }, (args) =>
      /[/\\]node_modules[/\\]pino[/\\]/.test(args.importer) ? { path: args.path, namespace: 'unused-pino-destination' } : undefined,
    );
    // A class: pino checks `options instanceof SonicBoom` on every pino() call, which must stay false.
    build.onLoad({ filter: /.*/, namespace: 'unused-pino-destination' }, (args) => ({
      loader: 'js',
      contents: `
        module.exports = class Unused { constructor() { throw new Error(${JSON.stringify(`${args.path} is not bundled in do-creds: pino writes to the stream src/lib/logger.ts gives it`)}); } };
      `,
    }));
  },
};

module.exports = [unusedBoltReceivers, unusedPinoDestinations];
