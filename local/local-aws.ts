// How the local cloud names itself to the SDK and to the handlers: region, credentials, role and table.
import { TABLE } from '../lib/definitions.ts';
import { LOCAL_ACCOUNT_ID } from './lambda/context.ts';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_SCHEDULER_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/local-scheduler`;
/** Locally the table is named after its logical id. */
export const LOCAL_TABLE_NAME = TABLE.id;
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
