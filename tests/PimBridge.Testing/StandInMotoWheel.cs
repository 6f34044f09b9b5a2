using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PimBridge.Sandbox;

namespace PimBridge.Testing;

/// <summary>
/// A wheel named moto at the pinned version, with the <c>server</c> extra and a <c>moto_server</c> console script,
/// written by the tests themselves, so the private install (<see cref="MotoInstallation"/>) is proven from a local
/// folder of wheels without reaching the package index. A wheel is a zip: the module, METADATA, WHEEL,
/// entry_points.txt and a RECORD of hashes.
/// </summary>
public static class StandInMotoWheel
{
    /// <summary>A moto_server that prints its arguments and exits: enough to show which executable ran.</summary>
    public const string Echo = """
        import sys


        def main():
            print("stand-in moto_server " + " ".join(sys.argv[1:]))
        """;

    /// <summary>A moto_server that becomes <paramref name="realMotoServer"/> with the same arguments, so it serves as moto does.</summary>
    public static string Delegating(string realMotoServer) => $$"""
        import os
        import sys

        REAL = {{JsonSerializer.Serialize(realMotoServer)}}


        def main():
            os.execv(REAL, [REAL] + sys.argv[1:])
        """;

    /// <summary>Writes moto-VERSION-py3-none-any.whl into <paramref name="folder"/> with <paramref name="serverModule"/> as moto/server.py.</summary>
    public static string Write(string folder, string serverModule)
    {
        var distInfo = $"moto-{MotoInstallation.Version}.dist-info";
        var files = new (string Name, string Text)[]
        {
            ("moto/__init__.py", $"__version__ = \"{MotoInstallation.Version}\"\n"),
            ("moto/server.py", serverModule + "\n"),
            ($"{distInfo}/METADATA", $"Metadata-Version: 2.1\nName: moto\nVersion: {MotoInstallation.Version}\nSummary: A stand-in for moto built by PimBridge's tests\nProvides-Extra: server\n"),
            ($"{distInfo}/WHEEL", "Wheel-Version: 1.0\nGenerator: pimbridge-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
            ($"{distInfo}/entry_points.txt", "[console_scripts]\nmoto_server = moto.server:main\n"),
        };
        var record = new StringBuilder();
        foreach (var (name, text) in files)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var hash = Convert.ToBase64String(SHA256.HashData(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            record.Append($"{name},sha256={hash},{bytes.Length}\n");
        }

        record.Append($"{distInfo}/RECORD,,\n");

        var path = Path.Combine(folder, $"moto-{MotoInstallation.Version}-py3-none-any.whl");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, text) in files.Append(($"{distInfo}/RECORD", record.ToString())))
        {
            using var writer = new StreamWriter(zip.CreateEntry(name).Open(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            writer.Write(text);
        }

        return path;
    }
}
