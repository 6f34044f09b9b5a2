using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(PimBridge.Benchmarks.EngineBenchmarks).Assembly).Run(args);
