// Functions/CustomHandler.cs still names the lazy engine by its old name; it is replaced by the isolated-worker
// Functions app (issue 14). Delete this file with it.
global using ComponentsProvider = PimBridge.Host.LazyComposedEngine;
