// The membership options, shared by `run` and `agent`.
import type { Command } from 'commander';
import { DEFAULT_ETCD_PREFIX, DEFAULT_ETCD_TTL, DEFAULT_MAX_MEMBERS, DEFAULT_NETWORK, ETCD_PASSWORD_VARIABLE } from '../config/membership.js';

export function addMembershipOptions(command: Command): Command {
  return command
    .option('--etcd <urls>', 'join the overlay kept in etcd at these client URLs (comma-separated, like http://192.0.2.10:2379), as flannel does')
    .option('--network <name>', `the overlay's name in etcd (default ${DEFAULT_NETWORK})`)
    .option('--etcd-prefix <prefix>', `where the networks live in etcd (default ${DEFAULT_ETCD_PREFIX})`)
    .option('--etcd-ttl <seconds>', `lease of this host's record: it is gone this long after the host dies (default ${DEFAULT_ETCD_TTL})`)
    .option('--etcd-underlay <cidr>', 'take members only with an underlay address in this network, like 198.51.100.0/24')
    .option('--etcd-max-members <n>', `follow at most this many members, the oldest (default ${DEFAULT_MAX_MEMBERS})`)
    .option('--etcd-cacert <file>', 'TLS: the CA certificate that signed etcd\'s (https:// endpoints)')
    .option('--etcd-cert <file>', 'TLS: this host\'s client certificate (with --etcd-key)')
    .option('--etcd-key <file>', 'TLS: the key of --etcd-cert')
    .option('--etcd-user <name>', `etcd user; the password is the first line of --etcd-password-file, or $${ETCD_PASSWORD_VARIABLE}`)
    .option('--etcd-password-file <file>', 'the file holding --etcd-user\'s password');
}
