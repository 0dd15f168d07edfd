import { describe, expect, it } from 'vitest';
import type { StoredSet } from '../src/lib/credential-set.js';
import { SCOPES } from '../src/lib/digitalocean/scope-catalogue.generated.js';
import type { ScopeReport } from '../src/lib/digitalocean/scopes.js';
import { EMPTY_POLICY, type ScopePolicy } from '../src/lib/scope-policy.js';
import { alertMessage } from '../src/lib/slack/alerts.js';
import { namedList, plainSentence } from '../src/lib/slack/blocks.js';
import { scopeReportText, tokenAccessText } from '../src/lib/slack/credential-summary.js';
import { credentialsModal, noticeModal, toSlackErrors } from '../src/lib/slack/credentials-modal.js';
import { guideBlocks } from '../src/lib/slack/guide.js';
import { helpMessage } from '../src/lib/slack/help.js';
import { blockKitProblems, LIMITS } from '../src/lib/slack/limits.js';
import { deleteConfirmation, terraformMessage } from '../src/lib/slack/manage.js';
import { policySummary, scopesMessage } from '../src/lib/slack/scope-advice.js';
import { statusBlocks } from '../src/lib/slack/status-view.js';
import { storeFaultText } from '../src/lib/slack/store-messages.js';

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (over: object = {}) => ({ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'Go' }, ...over });

describe('blockKitProblems', () => {
  it('takes what Slack takes', () => {
    expect(blockKitProblems('message', { text: 'hi', blocks: [section('hello'), { type: 'divider' }, { type: 'actions', elements: [button()] }] })).toEqual([]);
    expect(blockKitProblems('modal', credentialsModal({ mode: 'setup' }))).toEqual([]);
    expect(blockKitProblems('home', { type: 'home', blocks: [section('x')] })).toEqual([]);
  });

  it.each([
    ['51 blocks in a message', 'message', Array.from({ length: 51 }, () => section('x')), 'more than 50'],
    ['a section over 3,000 characters', 'message', [section('x'.repeat(3_001))], 'more than 3000'],
    ['11 section fields', 'message', [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }], 'more than 10'],
    ['a field over 2,000 characters', 'message', [{ type: 'section', fields: [{ type: 'mrkdwn', text: 'x'.repeat(2_001) }] }], 'more than 2000'],
    ['an empty text', 'message', [section('')], 'at least 1 character'],
    ['a header over 150 characters', 'message', [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }], 'more than 150'],
    ['a mrkdwn header', 'message', [{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }], 'must be plain_text'],
    ['11 context elements', 'message', [{ type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })) }], 'more than 10'],
    ['26 actions elements', 'message', [{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button({ action_id: `a${i}` })) }], 'more than 25'],
    ['a button text over 75', 'message', [{ type: 'actions', elements: [button({ text: { type: 'plain_text', text: 'x'.repeat(76) } })] }], 'more than 75'],
    ['a button value over 2,000', 'message', [{ type: 'actions', elements: [button({ value: 'x'.repeat(2_001) })] }], 'more than 2000'],
    ['a button url over 3,000', 'message', [{ type: 'actions', elements: [button({ url: 'https://x/' + 'x'.repeat(3_000) })] }], 'more than 3000'],
    ['an action_id over 255', 'message', [{ type: 'actions', elements: [button({ action_id: 'x'.repeat(256) })] }], 'more than 255'],
    ['a block_id over 255', 'message', [{ ...section('x'), block_id: 'x'.repeat(256) }], 'more than 255'],
    ['a block_id used twice', 'message', [{ ...section('x'), block_id: 'b' }, { ...section('y'), block_id: 'b' }], 'used twice'],
    ['a mrkdwn confirm text', 'message', [{ type: 'actions', elements: [button({ confirm: { title: { type: 'plain_text', text: 't' }, text: { type: 'mrkdwn', text: 'sure?' } } })] }], 'must be plain_text'],
    ['a confirm text over 300', 'message', [{ type: 'actions', elements: [button({ confirm: { text: { type: 'plain_text', text: 'x'.repeat(301) } } })] }], 'more than 300'],
    ['a confirm title over 100', 'message', [{ type: 'actions', elements: [button({ confirm: { title: { type: 'plain_text', text: 'x'.repeat(101) }, text: { type: 'plain_text', text: 't' } } })] }], 'more than 100'],
    ['a confirm button over 30', 'message', [{ type: 'actions', elements: [button({ confirm: { text: { type: 'plain_text', text: 't' }, deny: { type: 'plain_text', text: 'x'.repeat(31) } } })] }], 'more than 30'],
    ['message text over 40,000', 'message', { text: 'x'.repeat(40_001) }, 'more than 40000'],
    ['a modal title over 24', 'modal', { type: 'modal', title: { type: 'plain_text', text: 'x'.repeat(25) }, blocks: [section('x')] }, 'more than 24'],
    ['a modal submit over 24', 'modal', { type: 'modal', title: { type: 'plain_text', text: 't' }, submit: { type: 'plain_text', text: 'x'.repeat(25) }, blocks: [section('x')] }, 'more than 24'],
    ['an input without submit', 'modal', { type: 'modal', title: { type: 'plain_text', text: 't' }, blocks: [{ type: 'input', label: { type: 'plain_text', text: 'l' }, element: { type: 'plain_text_input', action_id: 'i' } }] }, 'submit: is required'],
    ['private_metadata over 3,000', 'modal', { type: 'modal', title: { type: 'plain_text', text: 't' }, private_metadata: 'x'.repeat(3_001), blocks: [section('x')] }, 'more than 3000'],
    ['101 blocks in a Home tab', 'home', { type: 'home', blocks: Array.from({ length: 101 }, () => section('x')) }, 'more than 100'],
    ['a view over 250 KB', 'home', { type: 'home', blocks: Array.from({ length: 100 }, () => section('x'.repeat(2_700))) }, 'view_too_large'],
    ['an input label over 2,000', 'modal', { type: 'modal', title: { type: 'plain_text', text: 't' }, submit: { type: 'plain_text', text: 's' }, blocks: [{ type: 'input', label: { type: 'plain_text', text: 'x'.repeat(2_001) }, element: { type: 'plain_text_input', action_id: 'i' } }] }, 'more than 2000'],
    ['a placeholder over 150', 'modal', { type: 'modal', title: { type: 'plain_text', text: 't' }, submit: { type: 'plain_text', text: 's' }, blocks: [{ type: 'input', label: { type: 'plain_text', text: 'l' }, element: { type: 'plain_text_input', action_id: 'i', placeholder: { type: 'plain_text', text: 'x'.repeat(151) } } }] }, 'more than 150'],
    ['101 select options', 'modal', { type: 'modal', title: { type: 'plain_text', text: 't' }, submit: { type: 'plain_text', text: 's' }, blocks: [{ type: 'input', label: { type: 'plain_text', text: 'l' }, element: { type: 'static_select', action_id: 'i', options: Array.from({ length: 101 }, (_, i) => ({ text: { type: 'plain_text', text: `o${i}` }, value: `v${i}` })) } }] }, 'more than 100'],
    ['an option text over 75 and value over 150', 'modal', { type: 'modal', title: { type: 'plain_text', text: 't' }, submit: { type: 'plain_text', text: 's' }, blocks: [{ type: 'input', label: { type: 'plain_text', text: 'l' }, element: { type: 'static_select', action_id: 'i', options: [{ text: { type: 'plain_text', text: 'x'.repeat(76) }, value: 'v'.repeat(151) }] } }] }, 'more than 75'],
    ['an initial option that is not an option', 'modal', { type: 'modal', title: { type: 'plain_text', text: 't' }, submit: { type: 'plain_text', text: 's' }, blocks: [{ type: 'input', label: { type: 'plain_text', text: 'l' }, element: { type: 'static_select', action_id: 'i', options: [{ text: { type: 'plain_text', text: 'a' }, value: 'a' }], initial_option: { text: { type: 'plain_text', text: 'b' }, value: 'b' } } }] }, 'does not exactly match'],
  ] as const)('finds %s', (_name, kind, input, problem) => {
    expect(blockKitProblems(kind, input).join('\n')).toContain(problem);
  });
});

const DAY = 86_400_000;
const NOW = new Date('2026-11-24T09:00:00Z');

function storedSet(env: string, over: Partial<StoredSet['metadata']> = {}): StoredSet {
  return {
    name: `do-creds/${env}`,
    damaged: [],
    metadata: {
      environment: env,
      expiresAt: new Date(NOW.getTime() + 5 * DAY),
      submittedBy: 'U0SUBMITTER',
      submittedAt: new Date(NOW.getTime() - DAY),
      tokenFingerprint: 'abcd',
      tokenAccess: { kind: 'custom', scopes: [...SCOPES], readAll: false },
      spacesKeyId: 'DO00ABCDEFGHIJKLMNOP',
      spacesRegion: 'nyc3',
      spacesBucket: 'tf-state',
      alertChannel: 'C0PLATFORM',
      validatedAt: NOW,
      validation: 'ok',
      alertedThreshold: undefined,
      ...over,
    },
  };
}

const longEnv = 'a-very-long-environment-name-32c';

describe("do-creds' own output stays within Block Kit's limits, even at its extremes", () => {
  const message = (m: { text: string; blocks: unknown[] }) => blockKitProblems('message', m);

  it('status and the Home tab with 500 sets holding every scope', () => {
    const sets = Array.from({ length: 500 }, (_, i) => storedSet(`env-${i}`));
    expect(message({ text: 'status', blocks: statusBlocks(sets, NOW) })).toEqual([]);
    expect(blockKitProblems('home', { type: 'home', blocks: statusBlocks(sets, NOW) })).toEqual([]);
  });

  it('the guide, help, alerts, the Terraform answer and the delete confirmation', () => {
    const policy: ScopePolicy = { base: { require: [...SCOPES], requireExpiry: true, maxLifetimeDays: 90, unverifiable: 'refuse' }, environments: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`env-${i}`, { require: [...SCOPES] }])) };
    expect(message({ text: 'guide', blocks: guideBlocks('AWS Secrets Manager (us-east-1)', policy) })).toEqual([]);
    expect(message(helpMessage('/do-creds', 'x'.repeat(40)))).toEqual([]);
    expect(message(alertMessage({ kind: 'expiry', set: storedSet(longEnv), daysLeft: 5, threshold: 7 }))).toEqual([]);
    expect(message(alertMessage({ kind: 'revoked', set: storedSet(longEnv) }))).toEqual([]);
    expect(message(terraformMessage(storedSet(longEnv), 'us-east-1'))).toEqual([]);
    expect(message(deleteConfirmation(storedSet(longEnv), 30))).toEqual([]);
  });

  it('the scope checklists for every scope, every resource type named, and nonsense', async () => {
    const policy: ScopePolicy = { ...EMPTY_POLICY, base: { ...EMPTY_POLICY.base, require: [...SCOPES] } };
    expect(message(await scopesMessage(policy, '/do-creds', []))).toEqual([]);
    expect(message(await scopesMessage(policy, '/do-creds', ['prod']))).toEqual([]);
    const types = Array.from({ length: 200 }, (_, i) => `digitalocean_thing_${i}`);
    expect(message(await scopesMessage(policy, '/do-creds', ['digitalocean_droplet', 'digitalocean_vpc', ...types]))).toEqual([]);
  });

  it('the form, a rotation form with a note, and a notice', () => {
    expect(blockKitProblems('modal', credentialsModal({ channelId: 'C0PLATFORM', mode: 'rotate' }, { environment: longEnv, region: 'nyc3', bucket: 'b'.repeat(63) }, storeFaultText({ kind: 'unavailable' }, 'read')))).toEqual([]);
    expect(blockKitProblems('modal', noticeModal('No credentials are stored for `prod`.'))).toEqual([]);
  });
});

describe('the delete confirmation dialog', () => {
  it('is plain text of at most 300 characters, as Slack requires', () => {
    const actions = deleteConfirmation(storedSet(longEnv), 30).blocks.find((b) => b.type === 'actions') as { elements: { confirm?: { text: { type: string; text: string } } }[] };
    const text = actions.elements[0]?.confirm?.text;
    expect(text?.type).toBe('plain_text');
    expect(text?.text.length).toBeLessThanOrEqual(LIMITS.confirmText);
    expect(text?.text).toBe(`The credentials of ${longEnv} will be deleted. They can be restored within 30 days.`);
  });
});

describe('long scope lists', () => {
  const many = SCOPES.slice(0, 40);
  const report: ScopeReport = { source: 'token_info', access: { kind: 'custom', scopes: [], readAll: false }, required: many, granted: [], missing: many, unverified: many, tokenInfo: 'answered' };

  it('are capped with "and N more" in the confirmation\'s scope report', () => {
    const text = scopeReportText('prod', report) ?? '';
    expect(text.match(/and 28 more/g)).toHaveLength(2);
    expect(text).not.toContain(many[39]);
  });

  it('are capped with "and N more" in the policy summary and the checklist lead', async () => {
    const policy: ScopePolicy = { ...EMPTY_POLICY, base: { ...EMPTY_POLICY.base, require: many } };
    expect(policySummary(policy)).toContain('and 28 more');
    expect(JSON.stringify((await scopesMessage(policy, '/do-creds', ['prod'])).blocks)).toContain('and 28 more');
  });

  it('and the token kind says how many more it holds than it shows', () => {
    expect(tokenAccessText({ kind: 'custom', scopes: [...SCOPES], readAll: false }, 300)).toMatch(/ · and \d+ more$/);
  });

  it('namedList names at most max items', () => {
    expect(namedList(['a', 'b', 'c'], 2)).toBe('a, b and 1 more');
    expect(namedList(['a', 'b'], 2, (s) => `\`${s}\``)).toBe('`a`, `b`');
  });
});

describe('field errors', () => {
  it('are plain sentences: no backticks, mentions, links, bold or escaped characters', () => {
    const errors = toSlackErrors({
      environment: storeFaultText({ kind: 'unknown_outcome' }, 'save'),
      token: 'Ask <@U0ADMIN> or <!subteam^S0OPS> in <#C0PLATFORM|platform>; see <https://docs.example/x|the guide>. *Not* saved: `a &lt;b&gt;`.',
    });
    expect(errors.environment).toContain('check "/do-creds status" in a minute');
    expect(errors.do_token).toBe('Ask @U0ADMIN or @S0OPS in #platform; see the guide (https://docs.example/x). Not saved: "a <b>".');
    for (const text of Object.values(errors)) expect(text).not.toMatch(/[`*]|<[@#!]|&lt;|&gt;|&amp;/);
  });

  it('leave snake_case names and plain sentences as they are', () => {
    expect(plainSentence('The keys do_token and do_secret_key: 3 * 4 = 12.')).toBe('The keys do_token and do_secret_key: 3 * 4 = 12.');
  });
});
