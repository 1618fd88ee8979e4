// A burst of control clients at once on one control socket, each asking `stats` and
// reading the answer: what the soak and the control-memory test put a VTEP through.
import type { Lab } from './lab.js';

/** `clients` clients at once on `socket` in `ns`; resolves with how many were answered (the others were refused or failed). */
export function controlBurst(lab: Lab, ns: string, socket: string, clients: number): Promise<number> {
  const script =
    `const net=require('net');let ok=0,done=0;` +
    `for(let i=0;i<${clients};i++){const s=net.connect(${JSON.stringify(socket)},()=>s.write('{"cmd":"stats"}\\n'));let t='';` +
    `s.on('data',(c)=>{t+=c;if(t.includes('\\n')){if(t.startsWith('{"ok":true'))ok++;s.end()}});` +
    `s.on('error',()=>{});s.on('close',()=>{if(++done===${clients})console.log(ok)})}`;
  const child = lab.spawn(ns, process.execPath, '-e', script);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve) => child.once('exit', () => resolve(Number(out.trim()) || 0)));
}
