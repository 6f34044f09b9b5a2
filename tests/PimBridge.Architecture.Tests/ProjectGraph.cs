using System.Xml.Linq;

namespace PimBridge.Architecture.Tests;

/// <summary>The product's projects as their project files declare them: references, packages and output type.</summary>
internal sealed record ProjectGraph(IReadOnlyDictionary<string, ProjectGraph.Project> Projects)
{
    public sealed record Project(string Name, bool IsExecutable, IReadOnlyList<string> References, IReadOnlyList<string> Packages);

    public Project this[string name] => Projects.TryGetValue(name, out var p)
        ? p
        : throw new KeyNotFoundException($"no project {name} under src/ (have: {string.Join(", ", Projects.Keys)})");

    public static ProjectGraph Read(string src) => new(
        Directory.EnumerateFiles(src, "*.csproj", SearchOption.AllDirectories)
            .Select(Parse)
            .ToDictionary(p => p.Name));

    /// <summary>Every project <paramref name="name"/> depends on, directly or through others.</summary>
    public IReadOnlySet<string> Closure(string name)
    {
        var seen = new HashSet<string>();
        var todo = new Stack<string>(this[name].References);
        while (todo.TryPop(out var next))
            if (seen.Add(next))
                foreach (var r in this[next].References) todo.Push(r);
        return seen;
    }

    private static Project Parse(string path)
    {
        var doc = XDocument.Load(path);
        var items = doc.Descendants().Where(e => e.Attribute("Include") is not null);
        return new Project(
            Path.GetFileNameWithoutExtension(path),
            doc.Descendants("OutputType").Any(e => e.Value.Trim().Equals("Exe", StringComparison.OrdinalIgnoreCase)),
            items.Where(e => e.Name.LocalName == "ProjectReference")
                .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value.Replace('\\', '/')))
                .Order(StringComparer.Ordinal).ToList(),
            items.Where(e => e.Name.LocalName is "PackageReference" or "FrameworkReference")
                .Select(e => e.Attribute("Include")!.Value)
                .Order(StringComparer.Ordinal).ToList());
    }
}
