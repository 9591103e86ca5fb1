import { Logger } from '@aws-lambda-powertools/logger';

/** Structured JSON logs. Never log bearer tokens, device tokens or push contents. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'scheduling-backend' });
