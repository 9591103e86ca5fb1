// The credentials the bundled SDK clients use in Lambda instead of the SDK's default chain.
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '../../lambdas/shared/clients/lambda-credentials.ts';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the Lambda credentials provider', () => {
  it("should give an SDK client the function role's session credentials from the environment", async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAROLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'role-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'role-session');
    const client = new SQSClient({ region: 'us-east-1', credentialDefaultProvider: defaultProvider });

    await expect(client.config.credentials()).resolves.toMatchObject({
      accessKeyId: 'ASIAROLE',
      secretAccessKey: 'role-secret',
      sessionToken: 'role-session',
    });
  });

  it('should carry the expiry and account when the environment gives them', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAROLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'role-secret');
    vi.stubEnv('AWS_CREDENTIAL_EXPIRATION', '2026-12-02T06:00:00Z');
    vi.stubEnv('AWS_ACCOUNT_ID', '123456789012');

    await expect(defaultProvider()()).resolves.toMatchObject({
      expiration: new Date('2026-12-02T06:00:00Z'),
      accountId: '123456789012',
    });
  });

  it('should fail naming the variables when the environment has no credentials', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');

    await expect(defaultProvider()()).rejects.toThrow('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set');
  });
});
