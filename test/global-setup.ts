// Runs once before the suite: fetches DynamoDB Local into the cache if it is not there yet, so that
// integration tests started in parallel do not race to download it.
import { ensureDynamoDbLocal } from '../local/dynamodb/fetch.ts';

export default async function setup(): Promise<void> {
  await ensureDynamoDbLocal((line) => console.log(line));
}
