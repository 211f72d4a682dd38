// scripts/bench --micro: BenchmarkDotNet over the hot paths (jute decode/encode, data tree, txn log append).
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Coordinator.Bench.Micro.JuteBenchmarks).Assembly).Run(args);
