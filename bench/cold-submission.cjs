// Runs in a fresh Node process: imports the packaged Slack handler, then sends it one signed form
// submission (local upstreams, given in the environment). Prints import and first-submission times.
'use strict';
const { createHmac } = require('node:crypto');

const started = performance.now();
const { handler } = require(process.argv[2]);
const importMs = performance.now() - started;

const [token, accessKey, secretKey] = process.argv.slice(3);
const field = (block, value) => ({ [block]: { [`${block}_input`]: value } });
const values = Object.assign(
  field('environment', { value: 'cold' }),
  field('do_token', { value: token }),
  field('token_expiry', { selected_option: { value: 'never' } }),
  field('spaces_access_key', { value: accessKey }),
  field('spaces_secret_key', { value: secretKey }),
  field('spaces_region', { selected_option: { value: 'nyc3' } }),
);
const payload = {
  type: 'view_submission',
  team: { id: 'TBENCH' },
  user: { id: 'UBENCH', team_id: 'TBENCH' },
  view: { id: 'VCOLD', callback_id: 'credentials_submit', private_metadata: '{}', hash: '1', state: { values } },
};
const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
const ts = Math.floor(Date.now() / 1000);
const signature = 'v0=' + createHmac('sha256', process.env.SLACK_SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex');
const event = {
  version: '2.0',
  rawPath: '/slack/events',
  headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature },
  body,
  isBase64Encoded: false,
  requestContext: { http: { method: 'POST', path: '/slack/events' } },
};
const sent = performance.now();
handler(event, {}).then((res) => {
  const submissionMs = performance.now() - sent;
  process.stdout.write(JSON.stringify({ importMs, submissionMs, ok: String(res.body).includes('clear') }));
});
