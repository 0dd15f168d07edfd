import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAccessPolicy, type AccessConfig } from '../src/lib/access.js';
import { captureOutput } from './support/harness.js';
import { blockActionPayload, CHANNEL_ID, eventCallbackBody, interactionBody, signedEvent, slashCommandBody, TEAM_ID, USER_ID } from './support/slack-request.js';
import { startWorld, type World } from './support/world.js';

const ADMIN = 'U0ADMIN';
const OUTSIDER = 'U0OUTSIDER';
const GROUP = 'S0PLATFORM';

function commandAs(world: World, text: string, userId: string, extra: { channelId?: string; teamId?: string } = {}) {
  const body = new URLSearchParams(slashCommandBody({ text, userId, channelId: extra.channelId }));
  if (extra.teamId) body.set('team_id', extra.teamId);
  return world.send(signedEvent({ secret: world.secret, body: body.toString() }));
}

const text = (res: { json?: Record<string, unknown> | undefined }) => JSON.stringify(res.json);

describe('with no access lists', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ ALLOWED_USER_IDS: undefined, AUDIT_CHANNEL_ID: 'C0AUDIT' });
  });
  afterAll(() => world.close());

  it('lets nobody write, says so politely, and logs and audits the refusal', async () => {
    const output = captureOutput();
    let res;
    try {
      res = await commandAs(world, 'setup', OUTSIDER);
    } finally {
      output.restore();
    }
    expect(text(res)).toContain('Sorry, you cannot change DigitalOcean credentials here: nobody has been given access yet.');
    expect(text(res)).toContain('Ask whoever runs do-creds');
    expect(output.lines().filter((l) => l.event === 'access_refused')).toHaveLength(1);
    expect(output.lines().filter((l) => l.event === 'audit' && l.action === 'refused')).toHaveLength(1);
    expect(world.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0AUDIT')).toHaveLength(1);
  });

  it('posts a person\'s refusals to the audit channel at most once an hour, and never for the Home tab', async () => {
    world.slack.reset();
    await commandAs(world, 'setup', 'U0REPEAT');
    await commandAs(world, 'status', 'U0REPEAT');
    await commandAs(world, 'setup', 'U0REPEAT');
    const body = eventCallbackBody({ type: 'app_home_opened', user: 'U0HOMEONLY', channel: 'D0HOME', tab: 'home', event_ts: '1.2' });
    await world.send(signedEvent({ secret: world.secret, body, contentType: 'application/json' }));
    const posts = world.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0AUDIT').map((c) => JSON.stringify(c.args));
    expect(posts).toHaveLength(1);
    expect(posts[0]).toContain('U0REPEAT');
  });

  it('still answers help to anyone', async () => {
    expect(text(await commandAs(world, 'help', OUTSIDER))).toContain('/do-creds setup');
  });
});

describe('in development mode with no lists', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ ALLOWED_USER_IDS: undefined, DO_CREDS_DEV_MODE: 'true' });
  });
  afterAll(() => world.close());

  it('lets everyone write', async () => {
    expect(text(await commandAs(world, 'setup', OUTSIDER))).toContain('open_credentials_modal');
  });
});

describe('with a user group on a free Slack plan', () => {
  it('says user groups cannot be checked on this plan, rather than "try again", and still lets listed users in', async () => {
    const world = await startWorld({ ALLOWED_USER_IDS: ADMIN, ALLOWED_USERGROUP_IDS: GROUP });
    try {
      world.slack.setFreePlan(true);
      const refused = text(await commandAs(world, 'setup', OUTSIDER));
      expect(refused).toContain('which this Slack plan does not have');
      expect(refused).not.toContain('try again');
      expect(text(await commandAs(world, 'setup', ADMIN))).toContain('open_credentials_modal');
    } finally {
      await world.close();
    }
  });
});

describe('with users, a user group, channels and viewers', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({
      ALLOWED_USER_IDS: `${ADMIN},${USER_ID}`,
      ALLOWED_USERGROUP_IDS: GROUP,
      VIEWER_USER_IDS: 'U0VIEWER',
      SLACK_TEAM_ID: TEAM_ID,
      USERGROUP_CACHE_SECONDS: '60',
    });
    world.slack.replyTo('usergroups.users.list', (call) => ({ body: { ok: true, users: call.args.usergroup === GROUP ? ['U0MEMBER'] : [] } }));
  });
  afterEach(() => {
    world.slack.calls.length = 0;
    world.slack.responses.length = 0;
  });
  afterAll(() => world.close());

  it('lets a listed user and a member of the user group write, and names who can help to others', async () => {
    expect(text(await commandAs(world, 'setup', ADMIN))).toContain('open_credentials_modal');
    expect(text(await commandAs(world, 'setup', 'U0MEMBER'))).toContain('open_credentials_modal');
    const refused = text(await commandAs(world, 'setup', OUTSIDER));
    expect(refused).toContain('you are not among the people allowed to change DigitalOcean credentials');
    expect(refused).toContain(`<@${ADMIN}>, <@${USER_ID}> can help`);
  });

  it('caches user group members briefly instead of asking Slack on every request', async () => {
    await commandAs(world, 'setup', 'U0MEMBER');
    await commandAs(world, 'setup', 'U0MEMBER');
    expect(world.slack.callsTo('usergroups.users.list')).toHaveLength(0);
  });

  it('lets viewers read status and terraform but not write', async () => {
    expect(text(await commandAs(world, 'status', 'U0VIEWER'))).toContain('No DigitalOcean credentials are stored yet');
    expect(text(await commandAs(world, 'terraform prod', 'U0VIEWER'))).toContain('No credentials are stored for `prod`');
    expect(text(await commandAs(world, 'rotate prod', 'U0VIEWER'))).toContain('Sorry, you cannot change');
    expect(text(await commandAs(world, 'status', OUTSIDER))).toContain('Sorry, you cannot see the stored DigitalOcean credentials');
  });

  it('refuses requests from another workspace', async () => {
    expect(text(await commandAs(world, 'setup', ADMIN, { teamId: 'T0OTHER' }))).toContain('only serves the workspace it was installed for');
  });

  it('checks again when the form is submitted, and stores nothing for a refused person', async () => {
    const values = { ...world.validCredentials(), environment: 'prod' };
    const view = await world.openModal();
    const { fillForm } = await import('./support/world.js');
    const payload = fillForm(view, values) as { user: { id: string } };
    payload.user.id = OUTSIDER;
    const res = await world.send(signedEvent({ secret: world.secret, body: interactionBody(payload) }));
    expect(res.json?.response_action).toBe('errors');
    expect(JSON.stringify(res.json?.errors)).toContain('Sorry, you cannot change');
    expect(world.secretsManager.secret('do-creds/prod')).toBeUndefined();
    expect(world.digitalocean.requests.filter((r) => r.authorization === `Bearer ${values.token}`)).toHaveLength(0);
  });

  it.each(['open_credentials_modal', 'delete_credentials', 'rotate_from_alert'])('checks again on the %s button', async (actionId) => {
    const click = blockActionPayload({ actionId, value: 'prod', responseUrl: world.slack.responseUrl('x'), userId: OUTSIDER });
    await world.send(signedEvent({ secret: world.secret, body: interactionBody(click) }));
    expect(world.slack.callsTo('views.open')).toHaveLength(0);
    expect(world.secretsManager.calls.filter((c) => c.operation === 'DeleteSecret')).toHaveLength(0);
    expect(JSON.stringify(world.slack.responses.at(-1)?.body)).toContain('Sorry, you cannot change');
  });

  it('shows the Home tab only to people who may read', async () => {
    const body = eventCallbackBody({ type: 'app_home_opened', user: OUTSIDER, channel: 'D0HOME', tab: 'home', event_ts: '1.1' });
    await world.send(signedEvent({ secret: world.secret, body, contentType: 'application/json' }));
    expect(JSON.stringify(world.slack.callsTo('views.publish')[0]?.args.view)).toContain('Sorry, you cannot see');
  });
});

describe('with a channel list', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ ALLOWED_USER_IDS: undefined, ALLOWED_CHANNEL_IDS: CHANNEL_ID });
  });
  afterAll(() => world.close());

  it('lets anyone write from the listed channel and nobody from elsewhere', async () => {
    expect(text(await commandAs(world, 'setup', OUTSIDER))).toContain('open_credentials_modal');
    const elsewhere = text(await commandAs(world, 'setup', OUTSIDER, { channelId: 'C0RANDOM' }));
    expect(elsewhere).toContain(`can only be changed from <#${CHANNEL_ID}>`);
  });

  it('lets nobody act where there is no channel to be in: a direct message or the Home tab', async () => {
    expect(text(await commandAs(world, 'setup', OUTSIDER, { channelId: 'D0DIRECT' }))).toContain(`can only be changed from <#${CHANNEL_ID}>`);
    const body = eventCallbackBody({ type: 'app_home_opened', user: OUTSIDER, channel: 'D0HOME', tab: 'home', event_ts: '1.1' });
    await world.send(signedEvent({ secret: world.secret, body, contentType: 'application/json' }));
    expect(JSON.stringify(world.slack.accepted('views.publish').at(-1)?.args.view)).toContain(`they can only be seen from <#${CHANNEL_ID}>`);
  });
});

describe('with users and a channel list: where there is no channel', () => {
  let world: World;
  const home = (user: string) =>
    world.send(
      signedEvent({ secret: world.secret, contentType: 'application/json', body: eventCallbackBody({ type: 'app_home_opened', user, channel: 'D0HOME', tab: 'home', event_ts: '1.1' }) }),
    );
  const published = () => JSON.stringify(world.slack.accepted('views.publish').at(-1)?.args.view);
  beforeAll(async () => {
    world = await startWorld({ ALLOWED_USER_IDS: USER_ID, ALLOWED_CHANNEL_IDS: CHANNEL_ID, VIEWER_USER_IDS: 'U0VIEWER' });
  });
  afterEach(() => world.slack.reset());
  afterAll(() => world.close());

  it('shows the Home tab to a listed writer and a listed viewer, and to nobody else', async () => {
    await home(USER_ID);
    expect(published()).toContain('No DigitalOcean credentials are stored yet');
    await home('U0VIEWER');
    expect(published()).toContain('No DigitalOcean credentials are stored yet');
    await home(OUTSIDER);
    expect(published()).toContain('Sorry, you cannot see');
  });

  it('lets a listed writer rotate from an alert in a direct message, but nobody unlisted', async () => {
    const click = (userId: string) =>
      world.send(signedEvent({ secret: world.secret, body: interactionBody(blockActionPayload({ actionId: 'rotate_from_alert', value: 'prod', responseUrl: world.slack.responseUrl('dm'), userId, channelId: 'D0ALERTDM' })) }));
    await click(USER_ID);
    expect(world.slack.accepted('views.open')).toHaveLength(1);
    world.slack.reset();
    await click(OUTSIDER);
    expect(world.slack.callsTo('views.open')).toHaveLength(0);
    expect(JSON.stringify(world.slack.responses.at(-1)?.body)).toContain('you are not among the people allowed');
  });

  it('still refuses a listed writer in a channel the list does not name', async () => {
    expect(text(await commandAs(world, 'setup', USER_ID, { channelId: 'C0RANDOM' }))).toContain(`can only be changed from <#${CHANNEL_ID}>`);
    expect(text(await commandAs(world, 'setup', USER_ID, { channelId: 'D0DIRECT' }))).toContain('open_credentials_modal');
  });
});

describe('the access policy', () => {
  const base: AccessConfig = {
    writers: { userIds: [], usergroupIds: [GROUP], channelIds: [] },
    viewers: { userIds: [], usergroupIds: [], channelIds: [] },
    teamId: undefined,
    enterpriseId: 'E0ORG',
    devMode: false,
    groupCacheMs: 1000,
  };
  const subject = { userId: 'U1', teamId: 'T1', enterpriseId: 'E0ORG', channelId: 'C1' };

  it('asks Slack again once the cache is stale', async () => {
    let calls = 0;
    let clock = 0;
    const policy = createAccessPolicy(base, () => Promise.resolve((calls += 1, ['U1'])), () => clock);
    await policy.canWrite(subject);
    await policy.canWrite(subject);
    clock = 2000;
    await policy.canWrite(subject);
    expect(calls).toBe(2);
  });

  it('says membership is unknown, not refused outright, when Slack cannot be asked', async () => {
    const policy = createAccessPolicy(base, () => Promise.reject(new Error('down')));
    expect(await policy.canWrite(subject)).toEqual({ allowed: false, reason: 'membership_unknown' });
  });

  it('applies a channel list in channels only: with no channel or from a DM, the user lists decide', async () => {
    const lists = { ...base, writers: { userIds: ['U1'], usergroupIds: [], channelIds: ['C1'] }, viewers: { userIds: ['U2'], usergroupIds: [], channelIds: [] } };
    const policy = createAccessPolicy(lists, () => Promise.resolve([]));
    expect(await policy.canWrite({ ...subject, channelId: undefined })).toEqual({ allowed: true });
    expect(await policy.canWrite({ ...subject, channelId: 'D0DM' })).toEqual({ allowed: true });
    expect(await policy.canWrite({ ...subject, channelId: 'C2' })).toEqual({ allowed: false, reason: 'wrong_channel' });
    expect(await policy.canWrite({ ...subject, userId: 'U9', channelId: undefined })).toEqual({ allowed: false, reason: 'not_listed' });
    expect(await policy.canRead({ ...subject, userId: 'U2', channelId: undefined })).toEqual({ allowed: true });
  });

  it('lets a channel-only list allow nobody where there is no channel, unless it names that DM', async () => {
    const lists = { ...base, writers: { userIds: [], usergroupIds: [], channelIds: ['C1', 'D0NAMED'] } };
    const policy = createAccessPolicy(lists, () => Promise.resolve([]));
    expect(await policy.canWrite({ ...subject, channelId: undefined })).toEqual({ allowed: false, reason: 'wrong_channel' });
    expect(await policy.canWrite({ ...subject, channelId: 'D0DM' })).toEqual({ allowed: false, reason: 'wrong_channel' });
    expect(await policy.canWrite({ ...subject, channelId: 'D0NAMED' })).toEqual({ allowed: true });
    expect(await policy.canWrite({ ...subject, channelId: 'C1' })).toEqual({ allowed: true });
  });

  it('refuses another enterprise', async () => {
    const policy = createAccessPolicy(base, () => Promise.resolve(['U1']));
    expect(await policy.canWrite({ ...subject, enterpriseId: 'E0OTHER' })).toEqual({ allowed: false, reason: 'other_workspace' });
  });
});
