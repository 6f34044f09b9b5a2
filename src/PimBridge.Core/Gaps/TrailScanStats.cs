namespace PimBridge.Core.Gaps;

/// <summary>What a scan read: counted, never thrown, so one bad file or record does not stop a scan.</summary>
public sealed class TrailScanStats
{
    public long Files { get; set; }
    public long Records { get; set; }

    /// <summary>Uncompressed JSON bytes read.</summary>
    public long Bytes { get; set; }

    /// <summary>Records that passed the filter and were parsed in full.</summary>
    public long Candidates { get; set; }

    /// <summary>Records that were not a usable CloudTrail record (no eventTime, a bad one, a wrong type, a broken line).</summary>
    public long MalformedRecords { get; set; }

    /// <summary>Wanted records without an <c>eventID</c> (some exports drop it), given one derived from their content.</summary>
    public long DerivedEventIds { get; set; }

    /// <summary>Wanted records whose <c>eventTime</c> was not CloudTrail's ISO 8601 UTC form (a SIEM's <c>2024-06-02 19:41:40.000000000</c>) and was read as UTC.</summary>
    public long NormalisedTimes { get; set; }

    /// <summary>Files that ended early or were not valid JSON or gzip; the records before the damage are kept.</summary>
    public long DamagedFiles { get; set; }

    /// <summary>Names of the damaged files and what was wrong with each (the first 100).</summary>
    public List<string> Problems { get; } = [];

    public void Add(TrailScanStats other)
    {
        Files += other.Files;
        Records += other.Records;
        Bytes += other.Bytes;
        Candidates += other.Candidates;
        MalformedRecords += other.MalformedRecords;
        DerivedEventIds += other.DerivedEventIds;
        NormalisedTimes += other.NormalisedTimes;
        DamagedFiles += other.DamagedFiles;
        foreach (var p in other.Problems)
            if (Problems.Count < 100) Problems.Add(p);
    }

    internal void Damaged(string origin, string problem)
    {
        DamagedFiles++;
        Note(origin, problem);
    }

    /// <summary>A problem worth naming that did not damage the file (a broken line in JSON Lines).</summary>
    internal void Note(string origin, string problem)
    {
        if (Problems.Count < 100) Problems.Add($"{origin}: {problem}");
    }
}
