import { createScanHandler } from '../lib/scan-handler.js';

/** EventBridge schedule -> expiry alerts and the daily health check of stored tokens. */
export const handler = createScanHandler(process.env);
