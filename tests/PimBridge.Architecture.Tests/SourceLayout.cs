using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PimBridge.Architecture.Tests;

/// <summary>
/// The rule "a file in src holds one unit": one namespace-level type, named as the file (its private parts are
/// nested in it). Three kinds of file hold a family of shapes instead, and say so by their name: <c>*Models.cs</c>
/// (one AWS service's wire records, read side by side with its API reference), <c>*Ports.cs</c> (a port's contract:
/// its interfaces and the values and exceptions in their signatures) and <c>*Document.cs</c> (one command's JSON
/// output). A file of top-level statements (<c>Program.cs</c>) declares no type.
/// </summary>
internal static class SourceLayout
{
    private static readonly string[] FamilySuffixes = ["Models.cs", "Ports.cs", "Document.cs"];

    public static bool IsFamily(string fileName) => FamilySuffixes.Any(fileName.EndsWith);

    /// <summary>What is wrong with one file under the rule, or null when nothing is.</summary>
    public static string? Violation(string fileName, string source)
    {
        if (IsFamily(fileName)) return null;
        var types = TopLevelTypes(source);
        var expected = Path.GetFileNameWithoutExtension(fileName);
        return types.Count switch
        {
            0 => null,
            1 when types[0] == expected => null,
            1 => $"declares {types[0]}, not {expected}: name the file after its type",
            _ => $"declares {types.Count} types ({string.Join(", ", types)}): move each to its own file, or nest a private part in the type it serves",
        };
    }

    /// <summary>The names of the types declared at namespace level (nested types are parts of their container).</summary>
    public static IReadOnlyList<string> TopLevelTypes(string source)
    {
        var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(source).GetRoot();
        return root.Members
            .SelectMany(m => m is BaseNamespaceDeclarationSyntax ns ? ns.Members : [m])
            .Select(m => m switch
            {
                BaseTypeDeclarationSyntax type => type.Identifier.Text,
                DelegateDeclarationSyntax @delegate => @delegate.Identifier.Text,
                _ => null,
            })
            .OfType<string>()
            .ToList();
    }
}
