using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace PimBridge.Core.Gaps;

/// <summary>The scan of one file for <see cref="TrailRecordReader"/>: the position in its structure, and what it found.</summary>
internal sealed class TrailFileScan(TrailRecordFilter filter, TrailScanStats stats, List<TrailRecord> found, string origin)
{
    /// <summary>The depth of the elements of the container being read (a Records or Events array: 2; a top-level array: 1); -1 outside one.</summary>
    private int _elementDepth = -1;
    private bool _expectContainer;
    private bool _sawContainer;
    private long _elements;
    private long _usable;
    private long _values;

    /// <summary>Where the top-level value being read starts in the current data, and the lines discarded before the data.</summary>
    private int _valueStart;
    private long _lineBase;
    private char[] _scratch = new char[256];
    private char[] _idScratch = new char[128];

    /// <summary>
    /// Reads as far as the data allows and returns how many bytes are done with. A record is read whole or not at
    /// all: when the data ends inside one, the scan rewinds to its start and waits for more.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Advance(ReadOnlySpan<byte> data, bool final, ref JsonReaderState state)
    {
        var reader = new Utf8JsonReader(data, final, state);
        while (true)
        {
            var before = reader.CurrentState;
            var consumedBefore = (int)reader.BytesConsumed;
            if (reader.CurrentDepth == 0)
            {
                _valueStart = consumedBefore;
                // CloudWatch Logs exports write each event as "<timestamp> <message>": step over the timestamp.
                if (_elementDepth < 0 && !_sawContainer)
                {
                    var skip = TimestampPrefix(data, consumedBefore, final);
                    if (skip != 0)
                    {
                        state = skip > 0 ? new JsonReaderState(TrailRecordReader.ReaderOptions) : before;
                        return skip > 0 ? consumedBefore + skip : consumedBefore;
                    }
                }
            }

            if (!reader.Read())
            {
                state = reader.CurrentState;
                return (int)reader.BytesConsumed;
            }

            var depth = reader.CurrentDepth;
            if (depth == _elementDepth && reader.TokenType == JsonTokenType.StartObject)
            {
                var record = default(RawTrailRecord);
                if (!RawTrailRecord.Read(ref reader, ref record))
                {
                    state = before;
                    return consumedBefore;
                }

                Element(data, ref record);
                continue;
            }

            if (depth == 0 && reader.TokenType == JsonTokenType.StartObject)
            {
                // A container when its first property is Records or Events; otherwise a record or an EventBridge event.
                var start = reader;
                if (!reader.Read())
                {
                    state = before;
                    return consumedBefore;
                }

                if (reader.TokenType == JsonTokenType.PropertyName && (reader.ValueTextEquals("Records"u8) || reader.ValueTextEquals("Events"u8)))
                {
                    _values++;
                    _expectContainer = true;
                    continue;
                }

                reader = start;
                var record = default(RawTrailRecord);
                if (!RawTrailRecord.Read(ref reader, ref record))
                {
                    state = before;
                    return consumedBefore;
                }

                _values++;
                Element(data, ref record);
                continue;
            }

            switch (depth, reader.TokenType)
            {
                case (0, JsonTokenType.StartArray):
                    _values++;
                    _elementDepth = 1;
                    _sawContainer = true;
                    break;
                case (1, JsonTokenType.PropertyName):
                    _expectContainer = reader.ValueTextEquals("Records"u8) || reader.ValueTextEquals("Events"u8);
                    break;
                case (1, JsonTokenType.StartArray) when _expectContainer && _elementDepth < 0:
                    _elementDepth = 2;
                    _sawContainer = true;
                    break;
                case (_, JsonTokenType.EndArray) when depth == _elementDepth - 1:
                    _elementDepth = -1;
                    break;
                case (_, JsonTokenType.String) when depth == _elementDepth:
                    // `lookup-events --query 'Events[].CloudTrailEvent'`: an array of records as strings.
                    _elements++;
                    ParseEmbedded(Value(ref reader, data));
                    break;
                case (_, _) when depth == _elementDepth && reader.TokenType is not JsonTokenType.EndArray and not JsonTokenType.EndObject:
                case (0, not JsonTokenType.EndArray and not JsonTokenType.EndObject):
                    // An element, or a top-level value, that is neither an object nor a record string.
                    if (!reader.TrySkip())
                    {
                        state = before;
                        return consumedBefore;
                    }

                    if (depth == 0) _values++;
                    _elements++;
                    stats.Records++;
                    stats.MalformedRecords++;
                    break;
            }
        }
    }

    /// <summary>
    /// The length of a timestamp (digits, <c>-:.TZ+</c> and spaces) that starts the line at <paramref name="from"/> and
    /// is followed by <c>{</c> on the same line; 0 when there is none; -1 when the data ends too soon to tell.
    /// </summary>
    private static int TimestampPrefix(ReadOnlySpan<byte> data, int from, bool final)
    {
        var i = from;
        while (i < data.Length && data[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') i++;
        if (i >= data.Length || !char.IsAsciiDigit((char)data[i]))
            return 0;
        for (var j = i; j < data.Length && j - i < 64; j++)
        {
            switch (data[j])
            {
                case (byte)'{':
                    return j - from;
                case >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)':' or (byte)'.' or (byte)'T' or (byte)'Z' or (byte)'+' or (byte)' ':
                    continue;
                default:
                    return 0;
            }
        }

        return !final && data.Length - i < 64 ? -1 : 0;
    }

    /// <summary>
    /// After invalid JSON at the top level of JSON Lines (outside any container), where the next line starts, so the
    /// broken line counts as one malformed record; null when the damage is elsewhere or the line does not end.
    /// </summary>
    public int? SkipBrokenLine(ReadOnlySpan<byte> data, JsonException error)
    {
        // Nothing read yet: not JSON Lines with a bad line, but not JSON at all.
        if (_elementDepth >= 0 || _sawContainer || _values == 0)
            return null;
        var start = _valueStart;
        while (start < data.Length && data[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') start++;
        var newline = data[start..].IndexOf((byte)'\n');
        if (newline < 0)
            return null; // the last line: a truncated export (or a line longer than the buffer)
        var line = _lineBase + data[..start].Count((byte)'\n') + 1;
        stats.Records++;
        stats.MalformedRecords++;
        _elements++;
        _values++;
        stats.Note(origin, $"line {line} is not valid JSON ({error.Message}); it was skipped.");
        return start + newline + 1;
    }

    /// <summary>Counts the lines of data the caller is about to discard, for the line numbers of broken lines.</summary>
    public void Discard(ReadOnlySpan<byte> done)
    {
        if (!_sawContainer) _lineBase += done.Count((byte)'\n');
    }

    public string DescribeDamage(bool final, JsonException e)
    {
        if (_values == 0 && _usable == 0)
            return $"not JSON ({e.Message}): {TrailRecordReader.FormsRead}.";
        return final
            ? "the file ends before its JSON does (truncated?); records before the end were kept."
            : $"invalid JSON ({e.Message}); records before it were kept.";
    }

    /// <summary>At the end of a file: why it held nothing that could be a CloudTrail record, or null when it did.</summary>
    public string? Unrecognised =>
        _values == 0 ? $"the file is empty: {TrailRecordReader.FormsRead}."
        : _usable == 0 && (_elements > 0 || !_sawContainer) ? $"no CloudTrail records found: {TrailRecordReader.FormsRead}."
        : null;

    /// <summary>One element: a record, an EventBridge event (read into the same record), or a lookup-events item.</summary>
    private void Element(ReadOnlySpan<byte> data, ref RawTrailRecord r)
    {
        _elements++;
        // A lookup-events item: its own EventTime, EventName... (read case-insensitively) only summarise the record.
        if (r.Embedded.Has)
            ParseEmbedded(r.Embedded.Unescaped(data));
        else
            Consider(data, ref r);
    }

    private static byte[] Value(ref Utf8JsonReader reader, ReadOnlySpan<byte> data)
    {
        var slice = new RawTrailRecord.Slice { Has = true, Escaped = reader.ValueIsEscaped, Start = (int)reader.TokenStartIndex + 1, Length = reader.ValueSpan.Length };
        return slice.Unescaped(data);
    }

    /// <summary>One record given alone as JSON text, as LookupEvents returns it.</summary>
    public void ParseEmbedded(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data, isFinalBlock: true, state: default);
        try
        {
            var record = default(RawTrailRecord);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject || !RawTrailRecord.Read(ref reader, ref record) || reader.Read())
            {
                stats.Records++;
                stats.MalformedRecords++;
                return;
            }

            Consider(data, ref record);
        }
        catch (JsonException)
        {
            stats.Records++;
            stats.MalformedRecords++;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Consider(ReadOnlySpan<byte> data, ref RawTrailRecord r)
    {
        stats.Records++;
        if (r.Malformed || !r.EventTime.Has || !r.EventName.Has || !r.EventSource.Has)
        {
            stats.MalformedRecords++;
            return;
        }

        _usable++;
        if (!filter.IsEverything && !Wanted(data, ref r))
            return;

        if (!TrailRecordReader.TryParseTime(r.EventTime.ToText(data)!, out var eventTime, out var normalised))
        {
            stats.MalformedRecords++;
            return;
        }

        DateTimeOffset? created = null;
        if (r.CreationDate.Has)
        {
            if (!TrailRecordReader.TryParseTime(r.CreationDate.ToText(data)!, out var c, out _))
            {
                stats.MalformedRecords++;
                return;
            }

            created = c;
        }

        if (normalised) stats.NormalisedTimes++;
        var roleSession = IsRoleSession(data, ref r);
        var role = roleSession || r.Saml ? RoleName(data, ref r) : [];
        var roleName = role.IsEmpty ? null : role.ToString();
        var account = r.Recipient.ToText(data) ?? r.IdentityAccount.ToText(data) ?? ArnAccount(data, ref r);
        var eventId = r.EventId.ToText(data);
        if (eventId is null)
        {
            eventId = DerivedEventId(data, ref r, eventTime);
            stats.DerivedEventIds++;
        }

        stats.Candidates++;
        found.Add(new TrailRecord
        {
            EventId = eventId,
            EventTime = eventTime,
            EventSource = r.EventSource.ToText(data)!,
            EventName = r.EventName.ToText(data)!,
            AwsRegion = r.Region.ToText(data),
            AccountId = account,
            IdentityType = r.IdentityType.ToText(data) ?? (roleSession ? "AssumedRole" : null),
            RoleName = roleName,
            SessionName = SessionName(data, ref r).ToString() is { Length: > 0 } s ? s : null,
            OnBehalfOfUserId = r.OnBehalfOf.ToText(data),
            SessionCreatedAt = created,
            ErrorCode = r.ErrorCode.ToText(data),
            ErrorMessage = r.ErrorMessage.ToText(data),
            SourceIpAddress = r.SourceIp.ToText(data),
            UserAgent = r.UserAgent.ToText(data),
            TargetAccountId = r.TargetAccount.ToText(data),
            TargetRoleName = r.TargetRole.ToText(data),
        });
    }

    /// <summary>The filter's rule on raw fields; see <see cref="TrailRecordFilter"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Wanted(ReadOnlySpan<byte> data, ref RawTrailRecord r)
    {
        if (IsRoleSession(data, ref r) || (r.Saml && r.EventSource.Is(data, "sts.amazonaws.com"u8)))
        {
            var permissionSet = TrailRecord.PermissionSetNameOf(RoleName(data, ref r));
            if (permissionSet.IsEmpty || !filter.WantsPermissionSet(permissionSet)) return false;
        }
        else if (!(r.EventName.Is(data, "GetRoleCredentials"u8) && r.EventSource.Is(data, "sso.amazonaws.com"u8)))
        {
            return false;
        }

        // Session names and user ids are short; decode them into separate scratch space (no string per record).
        return filter.WantsUser(SessionName(data, ref r), r.OnBehalfOf.Chars(data, ref _idScratch));
    }

    /// <summary>An <c>AssumedRole</c> identity, or one whose type a trimmed export dropped but whose ARN is an assumed role.</summary>
    private bool IsRoleSession(ReadOnlySpan<byte> data, ref RawTrailRecord r) =>
        r.IdentityType.Has ? r.IdentityType.Is(data, "AssumedRole"u8) : r.Arn.Has && r.Arn.Chars(data, ref _scratch).Contains(":assumed-role/", StringComparison.Ordinal);

    /// <summary>The role name (see <see cref="TrailRecord.RoleName"/> for the order of the fields tried), in scratch space.</summary>
    private ReadOnlySpan<char> RoleName(ReadOnlySpan<byte> data, ref RawTrailRecord r)
    {
        if (r.RoleName.Has) return r.RoleName.Chars(data, ref _scratch);
        if (r.IssuerArn.Has) return LastSegment(r.IssuerArn.Chars(data, ref _scratch));
        if (r.Arn.Has && AssumedRoleOf(r.Arn.Chars(data, ref _scratch)) is { IsEmpty: false } fromArn) return fromArn;
        if (r.RequestRoleArn.Has) return LastSegment(r.RequestRoleArn.Chars(data, ref _scratch));
        if (r.AssumedRoleArn.Has) return AssumedRoleOf(r.AssumedRoleArn.Chars(data, ref _scratch));
        if (r.ResourceRoleArn.Has) return LastSegment(r.ResourceRoleArn.Chars(data, ref _scratch));
        return [];
    }

    /// <summary>The role session name: after the <c>:</c> of principalId, else the last segment of the assumed-role ARN,
    /// else (a SAML sign-in) the request's roleSessionName or the identity's userName.</summary>
    private ReadOnlySpan<char> SessionName(ReadOnlySpan<byte> data, ref RawTrailRecord r)
    {
        if (r.PrincipalId.Has)
        {
            var principal = r.PrincipalId.Chars(data, ref _scratch);
            var colon = principal.IndexOf(':');
            if (colon >= 0) return principal[(colon + 1)..];
        }

        if (r.Arn.Has && IsRoleSession(data, ref r))
        {
            var arn = r.Arn.Chars(data, ref _scratch);
            var slash = arn.LastIndexOf('/');
            if (slash >= 0) return arn[(slash + 1)..];
        }

        if (r.RequestSessionName.Has) return r.RequestSessionName.Chars(data, ref _scratch);
        if (r.IdentityUserName.Has && r.Saml) return r.IdentityUserName.Chars(data, ref _scratch);
        if (r.AssumedRoleArn.Has)
        {
            var arn = r.AssumedRoleArn.Chars(data, ref _scratch);
            var slash = arn.LastIndexOf('/');
            if (slash >= 0) return arn[(slash + 1)..];
        }

        return [];
    }

    /// <summary>The account in the first ARN the record has (<c>arn:aws:sts::&lt;account&gt;:assumed-role/...</c>): a trimmed record's last resort.</summary>
    private string? ArnAccount(ReadOnlySpan<byte> data, ref RawTrailRecord r)
    {
        foreach (var slice in (ReadOnlySpan<RawTrailRecord.Slice>)[r.Arn, r.IssuerArn, r.RequestRoleArn, r.AssumedRoleArn, r.ResourceRoleArn])
        {
            if (!slice.Has) continue;
            var arn = slice.Chars(data, ref _scratch);
            var parts = 0;
            var start = 0;
            for (var i = 0; i < arn.Length && parts < 5; i++)
            {
                if (arn[i] != ':') continue;
                if (++parts == 4) start = i + 1;
                else if (parts == 5 && i > start && !arn[start..i].ContainsAnyExceptInRange('0', '9')) return arn[start..i].ToString();
            }
        }

        return null;
    }

    /// <summary>
    /// An id for a record without <c>eventID</c>: a hash of what identifies the call (its time as read, not as written,
    /// so the same event in two exports gets the same id).
    /// </summary>
    private static string DerivedEventId(ReadOnlySpan<byte> data, ref RawTrailRecord r, DateTimeOffset eventTime)
    {
        var text = new StringBuilder(512).Append(eventTime.UtcTicks);
        foreach (var slice in (ReadOnlySpan<RawTrailRecord.Slice>)[r.EventSource, r.EventName, r.Region, r.Recipient, r.RequestId, r.PrincipalId, r.Arn, r.OnBehalfOf,
            r.SourceIp, r.UserAgent, r.ErrorCode, r.CreationDate, r.TargetAccount, r.TargetRole, r.RequestRoleArn])
            text.Append('\n').Append(slice.ToText(data));
        var hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return "derived:" + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    private static ReadOnlySpan<char> LastSegment(ReadOnlySpan<char> arn) => arn[(arn.LastIndexOf('/') + 1)..];

    /// <summary>The role of <c>arn:aws:sts::&lt;account&gt;:assumed-role/&lt;role&gt;/&lt;session&gt;</c>; empty for any other ARN.</summary>
    private static ReadOnlySpan<char> AssumedRoleOf(ReadOnlySpan<char> arn)
    {
        const string marker = ":assumed-role/";
        var at = arn.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0) return [];
        var role = arn[(at + marker.Length)..];
        var slash = role.IndexOf('/');
        return slash < 0 ? role : role[..slash];
    }
}
