// The store side of the membership benchmark, run inside the lab namespace that holds
// etcd: writes simulated member records straight into etcd, each under its own lease, as
// real members would, and prints one JSON line of results.
//   writer <endpoint> <prefix> <network> bulk <count>
//     joins members 0..count-1, 32 writes in flight         -> {"start":ms,"end":ms}
//   writer <endpoint> <prefix> <network> churn <count> <seconds> <perSecond>
//     each tick joins member count+k and revokes the lease of member k
//                                                           -> {"joins":[[index,ms]...],"leaves":[[index,ms]...]}
import { Etcd3 } from 'etcd3';
import { simulatedKey, simulatedRecord } from './simulated.js';

const [endpoint, prefix, network, command, ...numbers] = process.argv.slice(2) as [string, string, string, string, ...string[]];
const [count, seconds, perSecond] = numbers.map(Number) as [number, number, number];
const client = new Etcd3({ hosts: endpoint });
const LEASE_TTL = 600;
const PARALLEL = 32;

async function join(index: number): Promise<void> {
  const lease = client.lease(LEASE_TTL, { autoKeepAlive: false });
  await lease.put(simulatedKey(prefix, network, index)).value(JSON.stringify(simulatedRecord(index)));
}

/** A graceful leave: the member's lease revoked, its record gone with it. */
async function leave(index: number): Promise<void> {
  const kv = await client.get(simulatedKey(prefix, network, index)).exec();
  await client.leaseClient.leaseRevoke({ ID: kv.kvs[0]!.lease });
}

async function bulk(): Promise<object> {
  const start = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < count) await join(next++);
    }),
  );
  return { start, end: Date.now() };
}

async function churn(): Promise<object> {
  const joins: [number, number][] = [];
  const leaves: [number, number][] = [];
  const start = Date.now();
  const pending: Promise<void>[] = [];
  for (let tick = 0; tick < seconds * perSecond; tick++) {
    const due = start + (tick * 1000) / perSecond;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    const joining = count + tick;
    pending.push(join(joining).then(() => void joins.push([joining, Date.now()])));
    pending.push(leave(tick).then(() => void leaves.push([tick, Date.now()])));
  }
  await Promise.all(pending);
  return { joins, leaves };
}

const result = command === 'bulk' ? await bulk() : await churn();
process.stdout.write(`${JSON.stringify(result)}\n`);
client.close();
