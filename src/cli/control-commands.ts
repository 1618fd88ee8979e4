// The subcommands that talk to a running VTEP over its control socket, in iproute2's word
// order: `vxlan-tap fdb add <mac> dst <ip> [port N] [vni N] [permanent|static|dynamic]`,
// `vxlan-tap neigh add <ip> lladdr <mac> [router]`, `vxlan-tap stats`, `vxlan-tap monitor`.
import { once } from 'node:events';
import type { Command } from 'commander';
import { ConfigError, RuntimeError } from '../config/errors.js';
import { parseInterfaceName, parseSocketPath } from '../config/parse.js';
import { fdbDeleteSchema, fdbEntrySchema, fdbFlushSchema, neighDeleteSchema, neighEntrySchema, validate } from '../config/schema.js';
import { FDB_STATES, type FlushResult } from '../engine/fdb.js';
import { converse, request } from '../control/client.js';
import type { FdbRow, NeighRow } from '../control/commands.js';
import { describeEvent, type VtepEvent } from '../control/events.js';
import { defaultControlPath } from '../control/server.js';
import type { MembersReport } from '../membership/membership.js';
import { DEFAULT_PORT } from '../config/vtep-config.js';
import { examples } from './help-text.js';

interface Target {
  tap?: string;
  control?: string;
  json?: boolean;
}

function socketOf(target: Target): string {
  if (target.control !== undefined) return parseSocketPath(target.control);
  if (target.tap !== undefined) return defaultControlPath(parseInterfaceName('--tap', target.tap));
  throw new ConfigError('say which VTEP: --tap <name> or --control <path>');
}

const say = (line: string): void => void process.stdout.write(`${line}\n`);

/** Reads iproute2-style words: `keyword value` pairs and bare flags. */
function readWords(words: string[], keys: readonly string[], flags: readonly string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (flags.includes(word)) out[word] = true;
    else if (keys.includes(word)) {
      const value = words[++i];
      if (value === undefined) throw new ConfigError(`"${word}" needs a value`);
      out[word] = value;
    } else throw new ConfigError(`unexpected "${word}" (expected one of: ${[...keys, ...flags].join(', ')})`);
  }
  return out;
}

const FDB_SCHEMAS = { add: fdbEntrySchema, append: fdbEntrySchema, replace: fdbEntrySchema, del: fdbDeleteSchema, flush: fdbFlushSchema };

/** The request for `fdb ACTION WORDS`, checked here with the schema the VTEP checks it with. */
export function fdbRequest(action: string, words: string[]): Record<string, unknown> {
  const cmd = `fdb.${action}`;
  if (action === 'show') return { cmd };
  const needsMac = action !== 'flush';
  const mac = needsMac ? words[0] : undefined;
  const rest = needsMac ? words.slice(1) : words;
  if (needsMac && mac === undefined) throw new ConfigError(`fdb ${action} needs a MAC`);
  const read = readWords(rest, ['dst', 'port', 'vni'], action === 'del' ? [] : FDB_STATES);
  const fields = { mac, dst: read['dst'], port: read['port'], vni: read['vni'], state: FDB_STATES.find((s) => read[s] === true) };
  const given = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  validate(FDB_SCHEMAS[action as keyof typeof FDB_SCHEMAS], given);
  return { cmd, ...given };
}

/** The request for `neigh ACTION WORDS`, checked as for fdbRequest. */
export function neighRequest(action: string, words: string[]): Record<string, unknown> {
  const cmd = `neigh.${action}`;
  if (action === 'show') return { cmd };
  const [ip, ...rest] = words;
  if (ip === undefined) throw new ConfigError(`neigh ${action} needs an IP address`);
  const read = action === 'del' ? readWords(rest, [], []) : readWords(rest, ['lladdr'], ['router']);
  const fields = action === 'del' ? { ip } : { ip, lladdr: read['lladdr'], router: read['router'] === true };
  validate(action === 'del' ? neighDeleteSchema : neighEntrySchema, fields);
  return { cmd, ...fields };
}

function fdbLine(row: FdbRow): string {
  const extras = `${row.port !== DEFAULT_PORT ? ` port ${row.port}` : ''} vni ${row.vni}`;
  const age = row.age === undefined ? '' : ` (idle ${row.age}s)`;
  return `${row.mac} dev ${row.dev} dst ${row.dst}${extras} self ${row.state}${age}${row.owner === undefined ? '' : ` (${row.owner})`}`;
}

/** Entries removed whole; the remotes too when they differ (a list may lose some and stay). */
export function flushLine({ entries, remotes }: FlushResult): string {
  const removed = `removed ${entries} ${entries === 1 ? 'entry' : 'entries'}`;
  return remotes === entries ? removed : `${removed} (${remotes} ${remotes === 1 ? 'remote' : 'remotes'})`;
}

function statsLines(stats: Record<string, unknown>): string[] {
  const n = (key: string): string => String(stats[key] ?? 0);
  // A VTEP started before they were counted shows none.
  const clients = (stats['controlClients'] ?? { cutOff: 0, refused: 0, idle: 0 }) as Record<string, number>;
  const drops = Object.entries(stats['drops'] as Record<string, number>)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  return [
    `${stats['tap']}: vni ${stats['vni']}, ${n('fdbEntries')} fdb entries, ${n('learnFull')} sources not learned (fdb full)`,
    `    RX: datagrams ${n('rxDatagrams')} packets ${n('rxPackets')} bytes ${n('rxBytes')} errors ${n('rxErrors')} (frame ${n('rxFrameErrors')}, length ${n('rxLengthErrors')})`,
    `    TX: frames ${n('txFrames')} encapsulated ${n('txEncapsulated')} packets ${n('txPackets')} bytes ${n('txBytes')} dropped ${n('txDropped')} send errors ${n('sendErrors')}`,
    `    drops: ${drops}`,
    `    unclaimed by any VNI of this process: ${Object.entries(stats['unclaimed'] as Record<string, number>)
      .filter(([, count]) => count > 0)
      .map(([reason, count]) => `${reason} ${count}`)
      .join(', ') || 'none'}`,
    `    monitor clients cut off for reading too slowly: ${(stats['monitor'] as { cutOff: number }).cutOff} (events lost ${(stats['monitor'] as { lost: number }).lost})`,
    `    control clients cut off for leaving answers unread ${clients.cutOff}, refused (too many) ${clients.refused}, closed when idle ${clients.idle}`,
  ];
}

/** One line per member, one more per VNI it serves. */
function membersLines(report: MembersReport): string[] {
  const lines = [`network ${report.network}${report.connected ? '' : ' (etcd unreachable: the last known members)'}`];
  for (const m of report.members) {
    const lease = m.leaseSeconds === undefined ? '' : ` lease ${m.leaseSeconds}s`;
    lines.push(`${m.address} port ${m.port} ${m.kind}${lease} programmed ${m.programmed}`);
    for (const v of m.vnis) lines.push(`    vni ${v.vni} mac ${v.mac}${v.addresses.length > 0 ? ` addresses ${v.addresses.join(' ')}` : ''}`);
  }
  return lines;
}

function addTargetOptions(command: Command): Command {
  return command
    .option('--tap <name>', 'the VTEP whose TAP has this name (its socket: /run/vxlan-tap/<name>.sock, in a named namespace /run/vxlan-tap/netns-NAME/<name>.sock)')
    .option('--control <path>', 'the VTEP with this control socket')
    .option('--json', 'print JSON');
}

export function addControlCommands(program: Command): void {
  addTargetOptions(program.command('fdb').argument('<action>', 'show, add, append, replace, del or flush').argument('[words...]', 'the MAC and keywords, as below'))
    .description('show or change the forwarding database, as `bridge fdb` on a vxlan device')
    .addHelpText(
      'after',
      [
        '',
        'Words, in iproute2 order:',
        '  fdb show',
        `  fdb add|append|replace MAC dst IP [port N] [vni N] [${FDB_STATES.join('|')}]`,
        '  fdb del MAC [dst IP [port N] [vni N]]',
        `  fdb flush [dst IP] [port N] [vni N] [${FDB_STATES.join('|')}]`,
        'State permanent by default. append: to 00:00:00:00:00:00 (the flood list) or a',
        'multicast MAC. flush without a state takes dynamic and static entries; a dst also',
        'takes that remote out of the flood list.',
      ].join('\n'),
    )
    .addHelpText('after', examples('vxlan-tap fdb add 02:00:00:00:00:01 dst 198.51.100.3 --tap vx0', 'vxlan-tap fdb show --tap vx0 --json'))
    .action(async (action: string, words: string[], target: Target) => {
      if (!['show', 'add', 'append', 'replace', 'del', 'flush'].includes(action)) throw new ConfigError(`unknown fdb action "${action}"`);
      const result = await request(socketOf(target), fdbRequest(action, words));
      if (target.json) return say(JSON.stringify(result));
      if (action === 'show') for (const row of result as FdbRow[]) say(fdbLine(row));
      if (action === 'flush') say(flushLine(result as FlushResult));
    });

  addTargetOptions(program.command('neigh').argument('<action>', 'show, add or del').argument('[words...]', 'the IP address and keywords, as below'))
    .description('show or change the neighbour table the ARP/ND proxy answers from, as `ip neigh`')
    .addHelpText(
      'after',
      [
        '',
        'Words, in iproute2 order:',
        '  neigh show',
        '  neigh add IP lladdr MAC [router]',
        '  neigh del IP',
        'The proxy answers only with --proxy; router sets the R flag of IPv6 answers.',
      ].join('\n'),
    )
    .addHelpText('after', examples('vxlan-tap neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 --tap vx0', 'vxlan-tap neigh show --tap vx0'))
    .action(async (action: string, words: string[], target: Target) => {
      if (!['show', 'add', 'del'].includes(action)) throw new ConfigError(`unknown neigh action "${action}"`);
      const result = await request(socketOf(target), neighRequest(action, words));
      if (target.json) return say(JSON.stringify(result));
      if (action === 'show') {
        for (const n of result as NeighRow[]) say(`${n.ip} dev ${n.dev} lladdr ${n.lladdr}${n.router ? ' router' : ''} PERMANENT${n.owner === undefined ? '' : ` (${n.owner})`}`);
      }
    });

  addTargetOptions(program.command('stats'))
    .description('counters of a running VTEP, with a count per drop reason (as `ip -s -s link`)')
    .addHelpText('after', examples('vxlan-tap stats --tap vx0', 'vxlan-tap stats --tap vx0 --json'))
    .action(async (target: Target) => {
      const stats = (await request(socketOf(target), { cmd: 'stats' })) as Record<string, unknown>;
      if (target.json) return say(JSON.stringify(stats));
      statsLines(stats).forEach(say);
    });

  addTargetOptions(program.command('members'))
    .description('the etcd network as this VTEP (or agent) sees it: each member, its lease time left, and whether it is programmed here')
    .addHelpText('after', examples('vxlan-tap members --tap vx0', 'vxlan-tap members --tap vxlan0 --json    (an agent: --tap names its kernel device)'))
    .action(async (target: Target) => {
      const report = (await request(socketOf(target), { cmd: 'members' })) as MembersReport;
      if (target.json) return say(JSON.stringify(report));
      membersLines(report).forEach(say);
    });

  addTargetOptions(program.command('handover'))
    .description('restart the VTEP without losing a frame: its successor (the installed version, same arguments) takes the sockets and state over')
    .addHelpText('after', examples('vxlan-tap handover --tap vx0    (needs --io native; the same as SIGUSR2 to the VTEP)'))
    .action(async (target: Target) => {
      const { pid } = (await request(socketOf(target), { cmd: 'handover' })) as { pid: number };
      say(target.json ? JSON.stringify({ pid }) : `handed over to pid ${pid}`);
    });

  addTargetOptions(program.command('monitor'))
    .description('stream FDB learn/move/age events and l2miss/l3miss notifications, one per line (as `ip monitor`)')
    .addHelpText('after', examples('vxlan-tap monitor --tap vx0', 'vxlan-tap monitor --tap vx0 --json'))
    .action(async (target: Target) => {
      let acknowledged = false;
      let refused: string | undefined;
      await converse(socketOf(target), { cmd: 'monitor' }, (message) => {
        if (!acknowledged) {
          acknowledged = true;
          if (message['ok'] !== true) refused = String(message['error']);
          return refused === undefined;
        }
        // The server's last word when this client read too slowly.
        if (message['ok'] === false) {
          refused = String(message['error']);
          return false;
        }
        say(target.json ? JSON.stringify(message) : describeEvent(message as unknown as VtepEvent));
        return true;
        // A reader of our output that stalls stalls us: the VTEP then cuts us off and says so.
      }, () => (process.stdout.writableNeedDrain ? once(process.stdout, 'drain').then(() => undefined) : undefined));
      if (refused !== undefined) throw new RuntimeError(refused);
    });
}
