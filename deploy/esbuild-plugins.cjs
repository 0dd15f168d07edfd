// esbuild plugins for do-creds' Lambda bundles (serverless.yml `custom.esbuild.plugins`, and the
// benchmark). Bolt's index loads every receiver it ships; do-creds uses only AwsLambdaReceiver, so
// the Express, HTTP-server and Socket Mode receivers' dependencies are replaced by a stub that fails
// loudly if anything ever calls it. They are only used inside those receivers' constructors.
'use strict';

const UNUSED = ['express', 'raw-body', '@slack/socket-mode', '@slack/oauth'];
const filter = new RegExp(`^(${UNUSED.map((m) => m.replace(/[/\\-]/g, '\\$&')).join('|')})$`);

const unusedBoltReceivers = {
  name: 'unused-bolt-receivers',
  setup(build) {
    build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'unused-bolt-receiver' }));
    build.onLoad({ filter: /.*/, namespace: 'unused-bolt-receiver' }, (args) => ({
      loader: 'js',
      contents: `
        const fail = () => { throw new Error(${JSON.stringify(`${args.path} is not bundled in do-creds: only Bolt's AwsLambdaReceiver is used`)}); };
        module.exports = new Proxy(fail, { get: (_t, key) => (key === '__esModule' ? false : fail), apply: fail, construct: fail });
      `,
    }));
  },
};

module.exports = [unusedBoltReceivers];
