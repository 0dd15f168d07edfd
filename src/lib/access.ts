/**
 * Who may do what. Writing (setup, rotate, delete) needs the person to be listed
 * (ALLOWED_USER_IDS or a member of ALLOWED_USERGROUP_IDS) and, if ALLOWED_CHANNEL_IDS is set, to act
 * from one of those channels. Reading (status, terraform, the Home tab) is for writers and anyone
 * the VIEWER_* lists name. With no list at all nobody may write, except in development mode.
 * Requests from another workspace than SLACK_TEAM_ID / SLACK_ENTERPRISE_ID are always refused.
 *
 * A channel list rules channels only. Where there is no channel to check (the Home tab) or the
 * person acts from a direct message (the bot's DM, where alerts may land), the person must be named
 * by the lists' users or user groups: a listed person may act there, and where a list names only
 * channels, nobody may.
 */

export interface AccessLists {
  userIds: string[];
  usergroupIds: string[];
  channelIds: string[];
}

export interface AccessConfig {
  writers: AccessLists;
  viewers: AccessLists;
  teamId: string | undefined;
  enterpriseId: string | undefined;
  devMode: boolean;
  /** How long usergroup members are cached, in milliseconds. */
  groupCacheMs: number;
}

export interface Subject {
  userId: string;
  teamId: string | undefined;
  enterpriseId: string | undefined;
  /** Where the action happens; undefined where Slack gives none (the Home tab). */
  channelId: string | undefined;
}

export type Refusal = 'other_workspace' | 'not_listed' | 'wrong_channel' | 'nobody_configured' | 'membership_unknown' | 'groups_unavailable';

/** Thrown by a GroupMembers reader when the workspace cannot have user groups (a free Slack plan). */
export class GroupsUnavailable extends Error {
  override name = 'GroupsUnavailable';
}
export type Decision = { allowed: true } | { allowed: false; reason: Refusal };

/** Reads a usergroup's members (Slack's usergroups.users.list); throws when it cannot. */
export type GroupMembers = (groupId: string) => Promise<string[]>;

export interface AccessPolicy {
  canWrite(subject: Subject): Promise<Decision>;
  canRead(subject: Subject): Promise<Decision>;
}

export function createAccessPolicy(config: AccessConfig, groupMembers: GroupMembers, now: () => number = Date.now): AccessPolicy {
  const cache = new Map<string, { members: Set<string>; at: number }>();

  async function inGroups(userId: string, groups: string[]): Promise<boolean | 'unknown' | 'unavailable'> {
    let unknown = false;
    for (const group of groups) {
      const cached = cache.get(group);
      let members = cached && now() - cached.at < config.groupCacheMs ? cached.members : undefined;
      if (members === undefined) {
        try {
          members = new Set(await groupMembers(group));
          cache.set(group, { members, at: now() });
        } catch (error) {
          // No plan, no groups: trying again will not help, and the person is told so.
          if (error instanceof GroupsUnavailable) return 'unavailable';
          unknown = true;
          continue;
        }
      }
      if (members.has(userId)) return true;
    }
    return unknown ? 'unknown' : false;
  }

  async function listed(subject: Subject, lists: AccessLists): Promise<Decision> {
    const hasWho = lists.userIds.length > 0 || lists.usergroupIds.length > 0;
    if (!hasWho && lists.channelIds.length === 0) return { allowed: false, reason: 'nobody_configured' };
    if (lists.channelIds.length > 0 && !(subject.channelId !== undefined && lists.channelIds.includes(subject.channelId))) {
      // From another channel: refused. With no channel (Home tab) or from a DM: only the user lists can allow.
      if (inChannel(subject.channelId) !== undefined || !hasWho) return { allowed: false, reason: 'wrong_channel' };
    }
    if (!hasWho || lists.userIds.includes(subject.userId)) return { allowed: true };
    const member = await inGroups(subject.userId, lists.usergroupIds);
    if (member === true) return { allowed: true };
    const reason = member === 'unavailable' ? 'groups_unavailable' : member === 'unknown' ? 'membership_unknown' : 'not_listed';
    return { allowed: false, reason };
  }

  function sameWorkspace(subject: Subject): boolean {
    if (config.enterpriseId !== undefined && subject.enterpriseId !== config.enterpriseId) return false;
    return config.teamId === undefined || subject.teamId === config.teamId;
  }

  const unconfigured = (l: AccessLists) => l.userIds.length + l.usergroupIds.length + l.channelIds.length === 0;

  async function canWrite(subject: Subject): Promise<Decision> {
    if (!sameWorkspace(subject)) return { allowed: false, reason: 'other_workspace' };
    if (config.devMode && unconfigured(config.writers)) return { allowed: true };
    return listed(subject, config.writers);
  }

  return {
    canWrite,
    async canRead(subject) {
      const write = await canWrite(subject);
      if (write.allowed || write.reason === 'other_workspace' || unconfigured(config.viewers)) return write;
      const read = await listed(subject, config.viewers);
      return read.allowed ? read : write;
    },
  };
}

/**
 * The channel a request comes from, when it is one: undefined for the Home tab (no channel) and for
 * direct messages (ids starting with D), which no channel list can name.
 */
export function inChannel(channelId: string | undefined): string | undefined {
  return channelId === undefined || channelId.startsWith('D') ? undefined : channelId;
}
