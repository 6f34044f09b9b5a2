namespace PimBridge.Architecture.Tests;

public sealed class SourceLayoutTests
{
    [Fact]
    public void Every_file_in_src_holds_one_type_named_as_the_file_or_a_declared_family()
    {
        var files = Repository.SourceFiles();
        Assert.True(files.Count > 100, $"expected the product's sources under {Repository.Src}, found {files.Count} files");

        var violations = files
            .Select(f => (File: f, Problem: SourceLayout.Violation(Path.GetFileName(f), File.ReadAllText(Path.Combine(Repository.Src, f)))))
            .Where(v => v.Problem is not null)
            .Select(v => $"src/{v.File} {v.Problem}")
            .ToList();

        Assert.True(violations.Count == 0, "Files that hold more than one unit:\n" + string.Join('\n', violations));
    }

    [Fact]
    public void A_second_type_in_a_file_is_reported_with_both_names()
    {
        const string source = """
            namespace Example;
            public enum GrantState { Active }
            public sealed record Grant(GrantState State);
            """;

        var problem = SourceLayout.Violation("Grant.cs", source);

        Assert.NotNull(problem);
        Assert.Contains("GrantState", problem);
        Assert.Contains("Grant)", problem);
    }

    [Fact]
    public void A_file_named_after_another_type_is_reported()
    {
        Assert.Equal(
            "declares Grant, not Grants: name the file after its type",
            SourceLayout.Violation("Grants.cs", "namespace Example; public sealed record Grant;"));
    }

    [Fact]
    public void Nested_parts_block_namespaces_and_top_level_statements_are_one_unit()
    {
        Assert.Null(SourceLayout.Violation("Reader.cs", "namespace A; static class Reader { private sealed record Part; private enum Kind { One } }"));
        Assert.Null(SourceLayout.Violation("Reader.cs", "namespace A { static class Reader { } }"));
        Assert.Null(SourceLayout.Violation("Program.cs", "using System; Console.WriteLine(1); return 0;"));
    }

    [Theory]
    [InlineData("SsoAdminModels.cs")]
    [InlineData("IdentityCenterPorts.cs")]
    [InlineData("ReconcileDocument.cs")]
    public void Declared_families_may_hold_several_shapes(string fileName)
    {
        Assert.Null(SourceLayout.Violation(fileName, "namespace A; record One; record Two;"));
    }

    [Fact]
    public void A_type_after_a_block_namespace_is_still_counted()
    {
        Assert.Equal(["One", "Two"], SourceLayout.TopLevelTypes("namespace A { class One { } } class Two { }"));
    }
}
