{
  "targets": [
    {
      "target_name": "shardscope_native",
      "sources": ["src/addon.cc", "src/ops.cc", "src/collectives.cc", "src/discovery.cc", "src/cuda/libraries.cc", "src/cuda/topology.cc", "src/cuda/compile.cc", "src/cuda/executor.cc", "src/generator.cc", "src/materialize.cc", "src/op_registry.cc", "src/ops_model.cc", "src/collective_dim.cc", "src/ops_dispatch.cc", "src/watchdog.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions"],
      "libraries": ["-ldl", "-lpthread"]
    }
  ]
}
