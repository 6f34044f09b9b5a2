namespace PimBridge.Architecture.Tests;

/// <summary>The checked-out repository these tests read: found by walking up from the test's output folder.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Src => Path.Combine(Root, "src");

    /// <summary>Every C# file under <c>src/</c> that a project compiles (build output excluded), relative to src.</summary>
    public static IReadOnlyList<string> SourceFiles() =>
        Directory.EnumerateFiles(Src, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Src, f).Replace('\\', '/'))
            .Where(f => !f.Split('/').Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal)
            .ToList();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PimBridge.sln")))
                return dir.FullName;
        throw new InvalidOperationException(
            $"PimBridge.sln not found above {AppContext.BaseDirectory}: run these tests from a checkout of the repository.");
    }
}
