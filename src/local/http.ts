import type { IncomingMessage } from 'node:http';

/** The largest body the local server takes: Slack's requests are far smaller, and the handler refuses more with 413 too. */
export const MAX_BODY_BYTES = 256 * 1024;

/** A body that passed the limit: the request gets 413, and what was read so far is dropped. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body over ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * The whole body of an incoming request, at most `limit` bytes (the local server passes
 * MAX_BODY_BYTES; the tests' stand-ins take any size). Bytes are counted as they arrive,
 * so a huge body is refused after `limit` bytes and never held in memory: a declared
 * Content-Length over the limit is refused before anything is read, and a body sent without one
 * (chunked) is refused as soon as it passes the limit. Once refused, the request stops being read.
 */
export function readBody(req: IncomingMessage, limit = Number.POSITIVE_INFINITY): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLargeError(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        cleanup();
        chunks.length = 0;
        req.pause();
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      // An error after the body was settled (the client hanging up) must not become an unhandled 'error'.
      req.on('error', () => undefined);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
