namespace PimBridge.Aws.CloudTrail;

// Member names are the cloudtrail model's (2013-11-01), exactly.

public static class LookupAttributeKeys
{
    public const string EventId = "EventId";
    public const string EventName = "EventName";
    public const string ReadOnly = "ReadOnly";
    public const string Username = "Username";
    public const string ResourceType = "ResourceType";
    public const string ResourceName = "ResourceName";
    public const string EventSource = "EventSource";
    public const string AccessKeyId = "AccessKeyId";
}

public sealed record LookupEventsRequest
{
    /// <summary>At most one attribute; CloudTrail rejects more.</summary>
    public IReadOnlyList<LookupAttribute>? LookupAttributes { get; init; }

    /// <summary>Inclusive; sent as whole epoch seconds.</summary>
    public DateTimeOffset? StartTime { get; init; }

    /// <summary>Inclusive; sent as whole epoch seconds.</summary>
    public DateTimeOffset? EndTime { get; init; }

    /// <summary>Only <c>insight</c>; leave null for management events.</summary>
    public string? EventCategory { get; init; }

    /// <summary>1 to 50 (default 50).</summary>
    public int? MaxResults { get; init; }

    public string? NextToken { get; init; }
}

public sealed record LookupAttribute
{
    public required string AttributeKey { get; init; }
    public required string AttributeValue { get; init; }
}

public sealed record LookupEventsResponse
{
    public IReadOnlyList<TrailEvent>? Events { get; init; }
    public string? NextToken { get; init; }
}

/// <summary>The model's <c>Event</c>: one management event as LookupEvents summarises it.</summary>
public sealed record TrailEvent
{
    public string? EventId { get; init; }
    public string? EventName { get; init; }

    /// <summary>"true" or "false", a string on the wire.</summary>
    public string? ReadOnly { get; init; }

    public string? AccessKeyId { get; init; }
    public DateTimeOffset? EventTime { get; init; }
    public string? EventSource { get; init; }

    /// <summary>For an assumed-role session, the role session name.</summary>
    public string? Username { get; init; }

    public IReadOnlyList<TrailEventResource>? Resources { get; init; }

    /// <summary>The whole CloudTrail record as a JSON string, kept raw; its times are ISO-8601 strings.</summary>
    public string? CloudTrailEvent { get; init; }
}

/// <summary>The model's <c>Resource</c>.</summary>
public sealed record TrailEventResource
{
    public string? ResourceType { get; init; }
    public string? ResourceName { get; init; }
}
