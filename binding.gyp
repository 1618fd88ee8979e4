{
  "targets": [
    {
      "target_name": "vxlan_native",
      "sources": [
        "native/src/addon.cc",
        "native/src/busy_poll.cc",
        "native/src/ethtool.cc",
        "native/src/tap_device.cc",
        "native/src/fd_reader.cc",
        "native/src/offload_reader.cc",
        "native/src/offload_writer.cc",
        "native/src/tap_offload.cc",
        "native/src/udp_receiver.cc",
        "native/src/udp_sender.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-O2", "-std=c++17", "-Wall", "-Wextra"],
      "cflags_cc!": ["-fno-exceptions"]
    }
  ]
}
