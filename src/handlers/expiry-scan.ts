import { createScanHandler } from '../lib/scan-handler.js';

/** EventBridge schedule -> the daily expiry scan: lists the stored sets and queues their checks and alerts. */
export const handler = createScanHandler(process.env);
