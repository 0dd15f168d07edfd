import { createWorkerHandler } from '../lib/worker-handler.js';

/** SQS -> work nobody waits for: private confirmations, audit posts, and the expiry scan's pages and alerts. */
export const handler = createWorkerHandler(process.env);
