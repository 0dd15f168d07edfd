import { createWorkerHandler } from '../lib/worker-handler.js';

/** SQS -> the work Slack does not wait for: private confirmations and audit posts. */
export const handler = createWorkerHandler(process.env);
