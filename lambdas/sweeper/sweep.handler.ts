// Consumer of the sweep queue, fed every five minutes by a recurring schedule.
import type { SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import { processMessages } from '../shared/sqs-batch.ts';
import { sweep } from './sweep.ts';

const sweepMessage = z.object({ kind: z.literal('sweep') });

export const handler = (event: SQSEvent) => processMessages(event, sweepMessage, async () => void (await sweep(Date.now())));
