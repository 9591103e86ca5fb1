// What the bundled SDK clients get in place of @aws-sdk/credential-provider-node (lib/house-function.ts
// aliases it at bundling). In Lambda the runtime hands the function its role's credentials in the
// environment, which the default chain reads first anyway; its other sources (profiles, SSO, web identity,
// containers, instance metadata) and the STS and SSO clients they bring are never reached there, and
// bundling them cost ~120 KB and 8–18 ms of every function's cold import. Code run from source (the local
// cloud, the tests) keeps the SDK's default chain.

/** The credentials a Lambda function's environment carries, as the SDK's own environment provider reads them. */
export interface EnvironmentCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
  readonly credentialScope?: string;
  readonly accountId?: string;
}

/** The function's credentials from its environment; rejects, naming the variables, when they are missing. */
export const defaultProvider = (_init?: unknown) => async (): Promise<EnvironmentCredentials> => {
  const env = process.env;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('No AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set');
  }
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN && { sessionToken: env.AWS_SESSION_TOKEN }),
    ...(env.AWS_CREDENTIAL_EXPIRATION && { expiration: new Date(env.AWS_CREDENTIAL_EXPIRATION) }),
    ...(env.AWS_CREDENTIAL_SCOPE && { credentialScope: env.AWS_CREDENTIAL_SCOPE }),
    ...(env.AWS_ACCOUNT_ID && { accountId: env.AWS_ACCOUNT_ID }),
  };
};
