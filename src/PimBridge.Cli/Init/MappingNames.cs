using System.Text;

namespace PimBridge.Cli.Init;

/// <summary>
/// Mapping names made from what <c>pimbridge init</c> finds (a group's display name, a permission set's name): the
/// characters a name allows (letters, digits, '.', '_', '-', at most 64), unique without regard to case.
/// </summary>
internal sealed class MappingNames
{
    private const int MaxLength = 64;
    private readonly HashSet<string> _taken = new(StringComparer.OrdinalIgnoreCase);

    /// <param name="fallback">Used when <paramref name="text"/> has no usable character (a name in another script, say).</param>
    public string From(string text, string fallback)
    {
        var name = new StringBuilder();
        foreach (var c in text.Trim())
        {
            var kept = char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-';
            if (kept == '-' && (name.Length == 0 || name[^1] == '-')) continue;
            name.Append(kept);
        }

        var stem = name.ToString().Trim('-', '.');
        if (stem.Length == 0) stem = fallback;
        stem = stem[..Math.Min(stem.Length, MaxLength - 4)];
        var unique = stem;
        for (var n = 2; !_taken.Add(unique); n++)
            unique = $"{stem}-{n}";
        return unique;
    }
}
