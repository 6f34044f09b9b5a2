namespace PimBridge.Testing;

/// <summary>The checkout the tests run from: the folder holding PimBridge.sln, found by walking up from the test's output.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(System.IO.Path.Combine(folder.FullName, "PimBridge.sln")))
                return folder.FullName;
        throw new InvalidOperationException($"No PimBridge.sln above {AppContext.BaseDirectory}: run the tests from the repository.");
    }
}
