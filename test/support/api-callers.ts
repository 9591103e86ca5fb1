// Who calls the API in unit tests: a permanent and a demo account, and their bearer tokens.
export const HOUR = 3_600_000;
/** A permanent account and its bearer token. */
export const ACCOUNT = '01JAAAAAAAAAAAAAAAAAAAAAAA';
export const TOKEN = 'sbt_permanent';
/** A demo account and its bearer token. */
export const DEMO = '01JDDDDDDDDDDDDDDDDDDDDDDD';
export const DEMO_TOKEN = 'sbt_demo';
