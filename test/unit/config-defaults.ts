// What a VNI gets when nothing is said about it: shared by the option and file tests.
export const SEGMENT_DEFAULTS = {
  peers: [],
  group: undefined,
  tapName: '',
  mtu: 1450,
  mac: undefined,
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
