import { randomBytes } from 'node:crypto';

// Tests reach AWS only on 127.0.0.1: fake credentials generated per run, and no developer
// profile or instance metadata ever consulted.
process.env.AWS_ACCESS_KEY_ID = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
process.env.AWS_SECRET_ACCESS_KEY = randomBytes(30).toString('base64');
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_SHARED_CREDENTIALS_FILE = '/dev/null';
process.env.AWS_CONFIG_FILE = '/dev/null';
delete process.env.AWS_PROFILE;
delete process.env.AWS_SESSION_TOKEN;
