import { createSlackHandler } from '../lib/slack/handler.js';

/** API Gateway (HTTP API) -> Slack slash commands, interactivity and events. */
export const handler = createSlackHandler(process.env);
