// The herd bench's FCM stand-in in a process of its own, as Google's servers are: its HTTP work does not
// compete with the system under test for the event loop. Started by bench/herd.ts over an IPC channel;
// it answers queries about what it received, so the pushes never cross the channel one by one.
import { startFcmStandIn } from '../local/fcm/fcm.ts';

/** What the bench asks: devices seen, their arrival times (both by token prefix), connections, stop. */
export type FcmQuestion =
  | { readonly type: 'seen' | 'times'; readonly prefix: string }
  | { readonly type: 'connections' | 'stop' };
type FcmQuery = FcmQuestion & { readonly id: number };

const fcm = await startFcmStandIn({ sendLatencyMs: Number(process.argv[2] ?? 50) });
/** Arrival times (epoch ms) per device token. */
const byDevice = new Map<string, number[]>();
let indexed = 0;
function index(): void {
  for (; indexed < fcm.received.length; indexed++) {
    const push = fcm.received[indexed];
    if (!push) continue;
    const times = byDevice.get(push.deviceToken) ?? [];
    times.push(Date.parse(push.time));
    byDevice.set(push.deviceToken, times);
  }
}
const matching = (prefix: string) => [...byDevice.entries()].filter(([device]) => device.startsWith(prefix));

process.on('message', async (query: FcmQuery) => {
  index();
  let answer: unknown;
  if (query.type === 'seen') answer = matching(query.prefix).length;
  else if (query.type === 'times') answer = Object.fromEntries(matching(query.prefix));
  else if (query.type === 'connections') answer = fcm.connections;
  else await fcm.stop();
  process.send?.({ id: query.id, answer });
  if (query.type === 'stop') process.exit(0);
});
process.send?.({ id: 0, answer: { baseUrl: fcm.baseUrl, credentialsFile: fcm.credentialsFile } });
