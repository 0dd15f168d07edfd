/** Shapes of Slack ids: users (U, or W in Enterprise Grid), user groups (S), channels and DMs (C, G, D). */
export const USER_ID = /^[UW][A-Z0-9]{2,}$/;
export const GROUP_ID = /^S[A-Z0-9]{2,}$/;
export const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
