// Defaults shared by the option and file tests: what a VNI and the underlay get when
// nothing is said about them.
export const SEGMENT_DEFAULTS = {
  peers: [],
  group: undefined,
  tapName: '',
  mtu: 1450,
  mac: 'persistent' as const,
  addresses: [],
  bridge: undefined,
  learning: true,
  ageingSeconds: 300,
  maxAddress: 0,
  proxy: false,
  l2miss: false,
  l3miss: false,
  control: undefined,
  fdb: [],
  neigh: [],
};

/** The underlay when nothing is said, with the tests' system port range (40000-40999). */
export const UNDERLAY_DEFAULTS = {
  port: 4789,
  local: undefined,
  device: undefined,
  family: 4,
  io: 'native',
  offload: 'on',
  busyPollUs: 0,
  threads: 1,
  acceptFrom: 'any',
  persist: false,
  outer: { ttl: 'auto', tos: 0, df: 'unset', srcPortMin: 40000, srcPortMax: 40999, flowLabel: 0 },
};
