{
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native/src"],
    "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
    "cflags_cc": ["-O2", "-std=c++17", "-Wall", "-Wextra"],
    "cflags_cc!": ["-fno-exceptions"]
  },
  "targets": [
    {
      "target_name": "vxlan_native",
      "sources": [
        "native/src/addon.cc",
        "native/src/packet_loop.cc",
        "native/src/tap/tap_device.cc",
        "native/src/tap/fd_reader.cc",
        "native/src/tap/offload_reader.cc",
        "native/src/tap/offload_writer.cc",
        "native/src/tap/tap_offload.cc",
        "native/src/tap/inner_checksum.cc",
        "native/src/udp/udp_receiver.cc",
        "native/src/udp/udp_sender.cc"
      ]
    },
    {
      "target_name": "vxlan_lab",
      "sources": ["native/lab/ethtool.cc"]
    }
  ]
}
