// Secrets Manager, read at most once or twice per container (admin token, FCM key): the SDK client is
// loaded on the first read, not at cold start.
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let client: Promise<SecretsManagerClient> | undefined;

async function secretsClient(): Promise<SecretsManagerClient> {
  client ??= import('@aws-sdk/client-secrets-manager').then(({ SecretsManagerClient }) => new SecretsManagerClient({}));
  return client;
}

/** The secret's current string value; undefined when it has none (a binary secret, or no value yet). */
export async function readSecretString(secretId: string): Promise<string | undefined> {
  const [secrets, { GetSecretValueCommand }] = await Promise.all([
    secretsClient(),
    import('@aws-sdk/client-secrets-manager'),
  ]);
  return (await secrets.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
}
