// Fixed-window counter per client IP in DynamoDB, shared by every API container.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../lib/definitions.ts';
import { dynamo } from '../shared/clients/dynamo.ts';
import { RateLimitedError } from '../shared/errors.ts';
import { tableName } from '../shared/table.ts';

const WINDOW_MS = 60_000;

export async function takeDemoAccountSlot(sourceIp: string, limitPerMinute: number, now: number): Promise<void> {
  const windowStart = Math.floor(now / WINDOW_MS) * WINDOW_MS;
  const out = await dynamo.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { pk: `RATE#demo-accounts#${sourceIp}`, sk: new Date(windowStart).toISOString() },
      UpdateExpression: 'ADD #count :one SET #ttl = :ttl',
      ExpressionAttributeNames: { '#count': 'count', '#ttl': TABLE.ttlAttribute },
      ExpressionAttributeValues: { ':one': 1, ':ttl': Math.floor((windowStart + 2 * WINDOW_MS) / 1000) },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  const count = Number(out.Attributes?.count ?? 0);
  if (count > limitPerMinute) {
    const retryAfter = Math.max(1, Math.ceil((windowStart + WINDOW_MS - now) / 1000));
    throw new RateLimitedError(`At most ${limitPerMinute} demo accounts a minute from one address`, retryAfter);
  }
}
