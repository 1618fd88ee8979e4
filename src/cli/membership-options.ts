// The membership options, shared by `run` and `agent`.
import type { Command } from 'commander';
import { DEFAULT_ETCD_PREFIX, DEFAULT_ETCD_TTL, DEFAULT_NETWORK } from '../config/membership.js';

export function addMembershipOptions(command: Command): Command {
  return command
    .option('--etcd <urls>', 'join the overlay kept in etcd at these client URLs (comma-separated, like http://192.0.2.10:2379), as flannel does')
    .option('--network <name>', `the overlay's name in etcd (default ${DEFAULT_NETWORK})`)
    .option('--etcd-prefix <prefix>', `where the networks live in etcd (default ${DEFAULT_ETCD_PREFIX})`)
    .option('--etcd-ttl <seconds>', `lease of this host's record: it is gone this long after the host dies (default ${DEFAULT_ETCD_TTL})`);
}
