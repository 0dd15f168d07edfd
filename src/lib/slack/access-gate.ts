import type { WebClient } from '@slack/web-api';
import type { AccessLists, AccessPolicy, Refusal, Subject } from '../access.js';
import type { Logger } from '../logger.js';
import type { JobQueue } from '../queue/jobs.js';
import { auditLater } from './audit-job.js';
import { escapeMrkdwn } from './blocks.js';

/** Access checks as listeners use them: a polite refusal text, logged and audited, or nothing. */

export interface GateDeps {
  policy: AccessPolicy;
  writers: AccessLists;
  contact: string | undefined;
  logger: Logger;
  auditChannelId: string | undefined;
  /** Where the audit-channel post of a refusal goes (retried past rate limits). */
  jobs: JobQueue;
  now: () => Date;
}

export type Need = 'write' | 'read';

/** What a refusal on the Home tab is called (app.ts passes it). */
export const HOME_TAB = 'open the Home tab';

/** undefined when allowed; otherwise the message for the person. */
export async function refusal(
  deps: GateDeps,
  _client: WebClient,
  need: Need,
  subject: Subject,
  attempted: string,
): Promise<string | undefined> {
  const decision = need === 'write' ? await deps.policy.canWrite(subject) : await deps.policy.canRead(subject);
  if (decision.allowed) return undefined;
  deps.logger.warn({ event: 'access_refused', user: subject.userId, team: subject.teamId, attempted, reason: decision.reason }, 'access refused');
  // Opening the Home tab is no attempt at anything: logged above, never posted to the audit channel.
  if (attempted === HOME_TAB) return refusalText(decision.reason, need, deps);
  await auditLater(deps.jobs, deps.logger, deps.auditChannelId, {
    action: 'refused',
    actor: subject.userId,
    environment: undefined,
    fingerprint: undefined,
    detail: `${attempted} (${decision.reason})`,
    at: deps.now(),
  });
  return refusalText(decision.reason, need, deps);
}

function refusalText(reason: Refusal, need: Need, deps: GateDeps): string {
  const what = need === 'write' ? 'change DigitalOcean credentials' : 'see the stored DigitalOcean credentials';
  const why: Record<Refusal, string> = {
    other_workspace: 'do-creds only serves the workspace it was installed for.',
    not_listed: `you are not among the people allowed to ${what}.`,
    wrong_channel: `${need === 'write' ? 'credentials can only be changed' : 'they can only be seen'} from ${deps.writers.channelIds.map((c) => `<#${c}>`).join(', ')}.`,
    nobody_configured: 'nobody has been given access yet.',
    membership_unknown: 'I could not check your user group membership just now. Please try again in a minute.',
    groups_unavailable: 'access is given through Slack user groups, which this Slack plan does not have, so membership cannot be checked.',
  };
  return `Sorry, you cannot ${what} here: ${why[reason]} ${contactText(deps)}`;
}

function contactText(deps: GateDeps): string {
  if (deps.contact) return `Ask ${deps.contact} for access.`;
  const people = deps.writers.userIds.slice(0, 3).map((u) => `<@${escapeMrkdwn(u)}>`);
  if (people.length > 0) return `${people.join(', ')} can help.`;
  const groups = deps.writers.usergroupIds.slice(0, 2).map((g) => `<!subteam^${escapeMrkdwn(g)}>`);
  if (groups.length > 0) return `Members of ${groups.join(', ')} can help.`;
  return 'Ask whoever runs do-creds in this workspace.';
}
