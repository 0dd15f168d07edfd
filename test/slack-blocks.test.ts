import { describe, expect, it } from 'vitest';
import { escapeMrkdwn } from '../src/lib/slack/blocks.js';
import { parseModalMetadata, readSubmission, toSlackErrors } from '../src/lib/slack/credentials-modal.js';

describe('escapeMrkdwn', () => {
  it('turns mentions and links into plain text', () => {
    expect(escapeMrkdwn('<!channel> <@U123> <https://evil.example|click> a&b')).toBe(
      '&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt; a&amp;b',
    );
  });
});

describe('modal metadata', () => {
  it('round-trips the channel and mode', () => {
    expect(parseModalMetadata(JSON.stringify({ channelId: 'C1', mode: 'rotate' }))).toEqual({ channelId: 'C1', mode: 'rotate' });
  });

  it('falls back to a plain setup for missing or tampered metadata', () => {
    expect(parseModalMetadata(undefined)).toEqual({ mode: 'setup' });
    expect(parseModalMetadata('{not json')).toEqual({ mode: 'setup' });
    expect(parseModalMetadata(JSON.stringify({ mode: 'admin' }))).toEqual({ mode: 'setup' });
  });
});

describe('readSubmission', () => {
  it('reads text inputs, selects and the date picker by field', () => {
    const values = readSubmission({
      environment: { environment_input: { value: ' prod ' } },
      token_expiry: { token_expiry_input: { selected_option: { text: { type: 'plain_text', text: '30 days' }, value: '30d' } } },
      token_expiry_date: { token_expiry_date_input: { selected_date: '2027-01-31' } },
      spaces_bucket: { spaces_bucket_input: { value: null } },
    });
    expect(values.environment).toBe(' prod ');
    expect(values.expiry).toBe('30d');
    expect(values.expiryDate).toBe('2027-01-31');
    expect(values.bucket).toBeUndefined();
    expect(values.token).toBeUndefined();
  });
});

describe('toSlackErrors', () => {
  it('keys field errors by the block that shows them', () => {
    expect(toSlackErrors({ token: 'bad token', secretKey: 'bad secret' })).toEqual({
      do_token: 'bad token',
      spaces_secret_key: 'bad secret',
    });
  });
});
