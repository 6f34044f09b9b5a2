namespace PimBridge.Cli;

/// <summary>What an engine command does when its SQLite state file does not exist yet (docs/cli.md, "The state file").</summary>
internal enum MissingStateFile
{
    /// <summary>Refuse, naming the command that creates it: the command reads or repairs what PimBridge recorded, and an empty state has none of it.</summary>
    Refuse,

    /// <summary>Create it, as <c>pimbridge serve</c> does on its first start, and say so.</summary>
    Create,

    /// <summary>Plan against an empty state in memory and create nothing (a dry run writes nothing).</summary>
    PlanOnEmpty,
}
