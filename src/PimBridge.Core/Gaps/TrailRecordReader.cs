using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace PimBridge.Core.Gaps;

/// <summary>
/// Streams CloudTrail exports with <see cref="Utf8JsonReader"/> through one fixed buffer, so memory stays flat whatever
/// the file size. The form is told by content, gzip or plain: a trail file (<c>{"Records":[...]}</c>), the output of
/// <c>aws cloudtrail lookup-events</c> (<c>{"Events":[{"CloudTrailEvent":"..."}]}</c>), JSON Lines of records or of
/// EventBridge events (whose <c>detail</c> is the record; a line may start with a CloudWatch Logs export's timestamp),
/// or a JSON array of any of these. Each record is read once:
/// its interesting fields are remembered as positions in the buffer, the <see cref="TrailRecordFilter"/> is asked on
/// those raw bytes, and only the few records it accepts become <see cref="TrailRecord"/>s. Damage is counted in
/// <see cref="TrailScanStats"/>, never thrown: a malformed record (or a broken line of JSON Lines) is skipped, and a
/// truncated or invalid file keeps the records before the damage.
/// </summary>
public static class TrailRecordReader
{
    /// <summary>Large enough that a refill is rare and a record seldom straddles two fills (measured: 256 KB reads a
    /// corpus about 5% faster than 128 KB; larger buys nothing more).</summary>
    private const int InitialBuffer = 256 * 1024;

    /// <summary>A record larger than this is not CloudTrail (events are capped far below); the file is treated as damaged.</summary>
    private const int MaxRecordBytes = 16 * 1024 * 1024;

    /// <summary>Named in every "this is not a trail" problem, so the reader of the summary knows what would have worked.</summary>
    internal const string FormsRead = "expected a CloudTrail trail file ({\"Records\": [...]}), `aws cloudtrail lookup-events` output, JSON Lines of records or of EventBridge events, or a JSON array of them, gzip or plain";

    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowMultipleValues = true };

    /// <summary>Reads one trail file. <paramref name="origin"/> names it in <see cref="TrailScanStats.Problems"/>.</summary>
    public static async Task<IReadOnlyList<TrailRecord>> ReadAsync(Stream stream, string origin, TrailRecordFilter filter, TrailScanStats stats, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(stats);
        stats.Files++;
        var found = new List<TrailRecord>();
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        Stream? gzip = null;
        try
        {
            // A failure of the stream itself (a dropped download) is the caller's to retry, not damage in the file:
            // it propagates. Only what the decompressor or the JSON reader finds wrong counts as damage.
            Stream source = stream;
            var length = await stream.ReadAtLeastAsync(buffer.AsMemory(0, 2), 2, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            FaultRecordingStream? compressed = null;
            if (length == 2 && buffer[0] == 0x1f && buffer[1] == 0x8b)
            {
                // Gzip: hand the two magic bytes back to the decompressor.
                compressed = new FaultRecordingStream(stream, buffer.AsSpan(0, 2).ToArray());
                source = gzip = new GZipStream(compressed, CompressionMode.Decompress);
                length = 0;
            }

            stats.Bytes += length;

            var scan = new FileScan(filter, stats, found, origin);
            var state = new JsonReaderState(ReaderOptions);
            var final = false;
            while (true)
            {
                if (!final)
                {
                    if (length == buffer.Length)
                    {
                        if (buffer.Length >= MaxRecordBytes)
                        {
                            stats.Damaged(origin, $"a record is larger than {MaxRecordBytes / (1024 * 1024)} MiB; the rest of the file was skipped.");
                            return found;
                        }

                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    int read;
                    try
                    {
                        read = await source.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is InvalidDataException or IOException && compressed is { Fault: null } && !cancellationToken.IsCancellationRequested)
                    {
                        stats.Damaged(origin, $"the data could not be read ({e.Message}); records before the damage were kept.");
                        return found;
                    }

                    stats.Bytes += read;
                    length += read;
                    final = read == 0;
                }

                int consumed;
                try
                {
                    consumed = scan.Advance(buffer.AsSpan(0, length), final, ref state);
                }
                catch (JsonException e)
                {
                    // One broken line of JSON Lines costs that line, not the rest of the export.
                    if (scan.SkipBrokenLine(buffer.AsSpan(0, length), e) is { } skipped)
                    {
                        consumed = skipped;
                        state = new JsonReaderState(ReaderOptions);
                    }
                    else
                    {
                        stats.Damaged(origin, scan.DescribeDamage(final, e));
                        return found;
                    }
                }

                if (final && consumed >= length)
                {
                    if (scan.Unrecognised is { } problem)
                        stats.Damaged(origin, problem);
                    return found;
                }

                scan.Discard(buffer.AsSpan(0, consumed));
                buffer.AsSpan(consumed, length - consumed).CopyTo(buffer);
                length -= consumed;
                if (final && consumed == 0)
                {
                    stats.Damaged(origin, "the file ends before its JSON does (truncated?); records before the end were kept.");
                    return found;
                }
            }
        }
        finally
        {
            if (gzip is not null) await gzip.DisposeAsync().ConfigureAwait(false);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Parses one event as LookupEvents returns it (<c>Events[].CloudTrailEvent</c>). Null, counted as malformed, when
    /// it is not a usable record; null, uncounted, when the filter does not want it.
    /// </summary>
    public static TrailRecord? ParseEvent(string cloudTrailEvent, TrailRecordFilter filter, TrailScanStats stats)
    {
        ArgumentNullException.ThrowIfNull(cloudTrailEvent);
        var found = new List<TrailRecord>(1);
        var scan = new FileScan(filter, stats, found, "event");
        var bytes = Encoding.UTF8.GetBytes(cloudTrailEvent);
        stats.Bytes += bytes.Length;
        scan.ParseEmbedded(bytes);
        return found.Count == 0 ? null : found[0];
    }

    /// <summary>
    /// A string value found in the buffer: the position of its raw bytes between the quotes. A JSON-escaped value (rare)
    /// is decoded only when asked for, so a record that is not wanted costs no allocation whatever its strings hold.
    /// </summary>
    private struct Slice
    {
        public int Start;
        public int Length;
        public bool Escaped;
        public bool Has;

        public readonly bool Is(ReadOnlySpan<byte> data, ReadOnlySpan<byte> expected) =>
            Has && (!Escaped ? data.Slice(Start, Length).SequenceEqual(expected) : Unescape(data) == Encoding.UTF8.GetString(expected));

        public readonly string? ToText(ReadOnlySpan<byte> data) =>
            !Has ? null : Escaped ? Unescape(data) : Encoding.UTF8.GetString(data.Slice(Start, Length));

        /// <summary>Decodes into <paramref name="scratch"/> (ASCII fast path) and returns the characters.</summary>
        public readonly ReadOnlySpan<char> Chars(ReadOnlySpan<byte> data, ref char[] scratch)
        {
            if (!Has) return [];
            var bytes = data.Slice(Start, Length);
            // Never more characters than bytes: UTF-8 and escapes both take at least one byte per UTF-16 character.
            if (scratch.Length < bytes.Length) scratch = new char[Math.Max(bytes.Length, scratch.Length * 2)];
            if (Escaped)
            {
                var reader = Quoted(data);
                return scratch.AsSpan(0, reader.CopyString(scratch));
            }

            var n = Encoding.UTF8.GetChars(bytes, scratch);
            return scratch.AsSpan(0, n);
        }

        /// <summary>The value's bytes with escapes decoded (a <c>CloudTrailEvent</c> string is a whole record).</summary>
        public readonly byte[] Unescaped(ReadOnlySpan<byte> data)
        {
            if (!Escaped) return data.Slice(Start, Length).ToArray();
            var reader = Quoted(data);
            var bytes = new byte[Length];
            return bytes[..reader.CopyString(bytes)];
        }

        private readonly string Unescape(ReadOnlySpan<byte> data) => Quoted(data).GetString()!;

        /// <summary>A reader on the value with its quotes, positioned on it: the reader unescapes.</summary>
        private readonly Utf8JsonReader Quoted(ReadOnlySpan<byte> data)
        {
            var reader = new Utf8JsonReader(data.Slice(Start - 1, Length + 2));
            reader.Read();
            return reader;
        }
    }

    private struct RawRecord
    {
        public Slice EventId, EventTime, EventSource, EventName, Region, Recipient, RequestId;
        public Slice IdentityType, PrincipalId, Arn, IdentityAccount, IdentityUserName, RoleName, IssuerArn, CreationDate, OnBehalfOf;
        public Slice ErrorCode, ErrorMessage, SourceIp, UserAgent, TargetAccount, TargetRole;
        public Slice RequestRoleArn, RequestSessionName, AssumedRoleArn, ResourceRoleArn;

        /// <summary>A lookup-events item: the record is this string.</summary>
        public Slice Embedded;

        /// <summary>eventName is AssumeRoleWithSAML: only then are its request, response and resources read.</summary>
        public bool Saml;
        public bool Malformed;
    }

    /// <summary>The scan of one file: the position in its structure, and what it found.</summary>
    private sealed class FileScan(TrailRecordFilter filter, TrailScanStats stats, List<TrailRecord> found, string origin)
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
                            state = skip > 0 ? new JsonReaderState(ReaderOptions) : before;
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
                    var record = default(RawRecord);
                    if (!ReadRecord(ref reader, ref record))
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
                    var record = default(RawRecord);
                    if (!ReadRecord(ref reader, ref record))
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
                return $"not JSON ({e.Message}): {FormsRead}.";
            return final
                ? "the file ends before its JSON does (truncated?); records before the end were kept."
                : $"invalid JSON ({e.Message}); records before it were kept.";
        }

        /// <summary>At the end of a file: why it held nothing that could be a CloudTrail record, or null when it did.</summary>
        public string? Unrecognised =>
            _values == 0 ? $"the file is empty: {FormsRead}."
            : _usable == 0 && (_elements > 0 || !_sawContainer) ? $"no CloudTrail records found: {FormsRead}."
            : null;

        /// <summary>One element: a record, an EventBridge event (read into the same record), or a lookup-events item.</summary>
        private void Element(ReadOnlySpan<byte> data, ref RawRecord r)
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
            var slice = new Slice { Has = true, Escaped = reader.ValueIsEscaped, Start = (int)reader.TokenStartIndex + 1, Length = reader.ValueSpan.Length };
            return slice.Unescaped(data);
        }

        /// <summary>One record given alone as JSON text, as LookupEvents returns it.</summary>
        public void ParseEmbedded(ReadOnlySpan<byte> data)
        {
            var reader = new Utf8JsonReader(data, isFinalBlock: true, state: default);
            try
            {
                var record = default(RawRecord);
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject || !ReadRecord(ref reader, ref record) || reader.Read())
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
        private void Consider(ReadOnlySpan<byte> data, ref RawRecord r)
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

            if (!TryParseTime(r.EventTime.ToText(data)!, out var eventTime, out var normalised))
            {
                stats.MalformedRecords++;
                return;
            }

            DateTimeOffset? created = null;
            if (r.CreationDate.Has)
            {
                if (!TryParseTime(r.CreationDate.ToText(data)!, out var c, out _))
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
        private bool Wanted(ReadOnlySpan<byte> data, ref RawRecord r)
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
        private bool IsRoleSession(ReadOnlySpan<byte> data, ref RawRecord r) =>
            r.IdentityType.Has ? r.IdentityType.Is(data, "AssumedRole"u8) : r.Arn.Has && r.Arn.Chars(data, ref _scratch).Contains(":assumed-role/", StringComparison.Ordinal);

        /// <summary>The role name (see <see cref="TrailRecord.RoleName"/> for the order of the fields tried), in scratch space.</summary>
        private ReadOnlySpan<char> RoleName(ReadOnlySpan<byte> data, ref RawRecord r)
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
        private ReadOnlySpan<char> SessionName(ReadOnlySpan<byte> data, ref RawRecord r)
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
        private string? ArnAccount(ReadOnlySpan<byte> data, ref RawRecord r)
        {
            foreach (var slice in (ReadOnlySpan<Slice>)[r.Arn, r.IssuerArn, r.RequestRoleArn, r.AssumedRoleArn, r.ResourceRoleArn])
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
        private static string DerivedEventId(ReadOnlySpan<byte> data, ref RawRecord r, DateTimeOffset eventTime)
        {
            var text = new StringBuilder(512).Append(eventTime.UtcTicks);
            foreach (var slice in (ReadOnlySpan<Slice>)[r.EventSource, r.EventName, r.Region, r.Recipient, r.RequestId, r.PrincipalId, r.Arn, r.OnBehalfOf,
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

    /// <summary>
    /// CloudTrail's own form (<c>2026-07-01T10:00:00Z</c>, a fraction allowed) or, <paramref name="normalised"/>, what
    /// SIEMs and query engines write: a space for the <c>T</c>, no zone (UTC), up to nine fractional digits (beyond
    /// .NET's seven, truncated), or an explicit offset.
    /// </summary>
    internal static bool TryParseTime(string text, out DateTimeOffset value, out bool normalised)
    {
        const DateTimeStyles utc = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        normalised = false;
        if (text.Length >= 20 && text[10] == 'T' && text[^1] == 'Z' && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, utc, out value))
            return true;
        normalised = true;
        var t = text.Trim();
        if (t.Length > 10 && t[10] == ' ') t = string.Concat(t.AsSpan(0, 10), "T", t.AsSpan(11));
        var dot = t.Length > 19 && t[19] == '.' ? 19 : -1;
        if (dot > 0)
        {
            var digits = 0;
            while (dot + 1 + digits < t.Length && char.IsAsciiDigit(t[dot + 1 + digits])) digits++;
            if (digits > 7) t = string.Concat(t.AsSpan(0, dot + 8), t.AsSpan(dot + 1 + digits));
        }

        return DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, utc, out value);
    }

    // ---------------------------------------------------------------- record structure
    // Each method starts on the value's first token and returns false when the data ends before the value does.
    // The nested objects are told apart by an enum, not by delegates: no indirect call per property.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool ReadRecord(ref Utf8JsonReader reader, ref RawRecord r)
    {
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.EndObject) return true;
            var name = reader.ValueIsEscaped ? default : reader.ValueSpan;
            if (!reader.Read()) return false;
            var ok = name.Length switch
            {
                6 when Named(name, "detail"u8) => reader.TokenType == JsonTokenType.StartObject ? ReadRecord(ref reader, ref r) : Skip(ref reader),
                7 when Named(name, "eventID"u8) => Capture(ref reader, ref r.EventId, ref r.Malformed),
                9 when Named(name, "eventTime"u8) => Capture(ref reader, ref r.EventTime, ref r.Malformed),
                9 when Named(name, "eventName"u8) => EventName(ref reader, ref r),
                9 when Named(name, "errorCode"u8) => Capture(ref reader, ref r.ErrorCode, ref r.Malformed),
                9 when Named(name, "awsRegion"u8) => Capture(ref reader, ref r.Region, ref r.Malformed),
                9 when Named(name, "userAgent"u8) => Capture(ref reader, ref r.UserAgent, ref r.Malformed),
                9 when Named(name, "requestID"u8) => Capture(ref reader, ref r.RequestId, ref r.Malformed),
                9 when r.Saml && Named(name, "resources"u8) => Resources(ref reader, ref r),
                11 when Named(name, "eventSource"u8) => Capture(ref reader, ref r.EventSource, ref r.Malformed),
                12 when Named(name, "userIdentity"u8) => Object(ref reader, ref r, Part.UserIdentity),
                12 when Named(name, "errorMessage"u8) => Capture(ref reader, ref r.ErrorMessage, ref r.Malformed),
                15 when Named(name, "sourceIPAddress"u8) => Capture(ref reader, ref r.SourceIp, ref r.Malformed),
                15 when Named(name, "CloudTrailEvent"u8) => Capture(ref reader, ref r.Embedded, ref r.Malformed),
                // A sign-in's role is in its request and response; every other call's are skipped unread.
                // Athena's CloudTrail table holds both as JSON strings: nothing to read there, and nothing wrong.
                16 when r.Saml && Named(name, "responseElements"u8) => reader.TokenType == JsonTokenType.String || Object(ref reader, ref r, Part.ResponseElements),
                17 when r.Saml && Named(name, "requestParameters"u8) => reader.TokenType == JsonTokenType.String || Object(ref reader, ref r, Part.RequestParameters),
                18 when Named(name, "recipientAccountId"u8) => Capture(ref reader, ref r.Recipient, ref r.Malformed),
                // Usually an object; some services write it as a JSON string, which holds nothing we need.
                19 when Named(name, "serviceEventDetails"u8) => reader.TokenType == JsonTokenType.String || Object(ref reader, ref r, Part.ServiceEventDetails),
                _ => Skip(ref reader),
            };
            if (!ok) return false;
        }
    }

    /// <summary>
    /// A property name, whatever its case: Athena's CloudTrail table (and exports of its query results) writes
    /// <c>eventtime</c>, <c>useridentity</c>, <c>sessioncontext</c> where CloudTrail writes camel case.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Named(ReadOnlySpan<byte> name, ReadOnlySpan<byte> expected) => Ascii.EqualsIgnoreCase(name, expected);

    private static bool EventName(ref Utf8JsonReader reader, ref RawRecord r)
    {
        r.Saml = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("AssumeRoleWithSAML"u8);
        return Capture(ref reader, ref r.EventName, ref r.Malformed);
    }

    /// <summary><c>resources</c> of a sign-in: the ARN of the element whose type is <c>AWS::IAM::Role</c>. Anything else is skipped, never malformed.</summary>
    private static bool Resources(ref Utf8JsonReader reader, ref RawRecord r)
    {
        if (reader.TokenType != JsonTokenType.StartArray) return Skip(ref reader);
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.EndArray) return true;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                if (!Skip(ref reader)) return false;
                continue;
            }

            var arn = default(Slice);
            var role = false;
            var ignored = false;
            while (true)
            {
                if (!reader.Read()) return false;
                if (reader.TokenType == JsonTokenType.EndObject) break;
                var name = reader.ValueIsEscaped ? default : reader.ValueSpan;
                if (!reader.Read()) return false;
                if (Named(name, "ARN"u8))
                {
                    if (!Capture(ref reader, ref arn, ref ignored)) return false;
                }
                else if (Named(name, "type"u8) && reader.TokenType == JsonTokenType.String)
                {
                    role = reader.ValueTextEquals("AWS::IAM::Role"u8);
                }
                else if (!Skip(ref reader))
                {
                    return false;
                }
            }

            if (role && arn.Has && !ignored) r.ResourceRoleArn = arn;
        }
    }

    /// <summary>The nested objects whose properties the reader looks at.</summary>
    private enum Part { UserIdentity, OnBehalfOf, SessionContext, SessionIssuer, Attributes, ServiceEventDetails, RequestParameters, ResponseElements, AssumedRoleUser }

    /// <summary>Reads an object's properties as <paramref name="part"/>; null is allowed, any other non-object is malformed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Object(ref Utf8JsonReader reader, ref RawRecord r, Part part)
    {
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            r.Malformed = true;
            return Skip(ref reader);
        }

        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.EndObject) return true;
            var name = reader.ValueIsEscaped ? default : reader.ValueSpan;
            if (!reader.Read()) return false;
            if (!Property(ref reader, name, ref r, part)) return false;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Property(ref Utf8JsonReader reader, ReadOnlySpan<byte> name, ref RawRecord r, Part part) => part switch
    {
        Part.UserIdentity => name.Length switch
        {
            3 when Named(name, "arn"u8) => Capture(ref reader, ref r.Arn, ref r.Malformed),
            4 when Named(name, "type"u8) => Capture(ref reader, ref r.IdentityType, ref r.Malformed),
            8 when Named(name, "userName"u8) => Capture(ref reader, ref r.IdentityUserName, ref r.Malformed),
            9 when Named(name, "accountId"u8) => Capture(ref reader, ref r.IdentityAccount, ref r.Malformed),
            10 when Named(name, "onBehalfOf"u8) => Object(ref reader, ref r, Part.OnBehalfOf),
            11 when Named(name, "principalId"u8) => Capture(ref reader, ref r.PrincipalId, ref r.Malformed),
            14 when Named(name, "sessionContext"u8) => Object(ref reader, ref r, Part.SessionContext),
            _ => Skip(ref reader),
        },
        Part.OnBehalfOf => Named(name, "userId"u8) ? Capture(ref reader, ref r.OnBehalfOf, ref r.Malformed) : Skip(ref reader),
        Part.SessionContext => name.Length switch
        {
            10 when Named(name, "attributes"u8) => Object(ref reader, ref r, Part.Attributes),
            13 when Named(name, "sessionIssuer"u8) => Object(ref reader, ref r, Part.SessionIssuer),
            _ => Skip(ref reader),
        },
        Part.SessionIssuer => name.Length switch
        {
            3 when Named(name, "arn"u8) => Capture(ref reader, ref r.IssuerArn, ref r.Malformed),
            8 when Named(name, "userName"u8) => Capture(ref reader, ref r.RoleName, ref r.Malformed),
            _ => Skip(ref reader),
        },
        Part.RequestParameters => name.Length switch
        {
            7 when Named(name, "roleArn"u8) => Capture(ref reader, ref r.RequestRoleArn, ref r.Malformed),
            15 when Named(name, "roleSessionName"u8) => Capture(ref reader, ref r.RequestSessionName, ref r.Malformed),
            _ => Skip(ref reader),
        },
        Part.ResponseElements => Named(name, "assumedRoleUser"u8) ? Object(ref reader, ref r, Part.AssumedRoleUser) : Skip(ref reader),
        Part.AssumedRoleUser => Named(name, "arn"u8) ? Capture(ref reader, ref r.AssumedRoleArn, ref r.Malformed) : Skip(ref reader),
        Part.Attributes => Named(name, "creationDate"u8) ? Capture(ref reader, ref r.CreationDate, ref r.Malformed) : Skip(ref reader),
        Part.ServiceEventDetails => name switch
        {
            _ when Named(name, "role_name"u8) => Capture(ref reader, ref r.TargetRole, ref r.Malformed),
            _ when Named(name, "account_id"u8) => Capture(ref reader, ref r.TargetAccount, ref r.Malformed),
            _ => Skip(ref reader),
        },
        _ => Skip(ref reader),
    };

    /// <summary>Remembers a string value's position; null means absent; any other type marks the record malformed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Capture(ref Utf8JsonReader reader, ref Slice slice, ref bool malformed)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                slice.Has = true;
                slice.Escaped = reader.ValueIsEscaped;
                slice.Start = (int)reader.TokenStartIndex + 1;
                slice.Length = reader.ValueSpan.Length;
                return true;
            case JsonTokenType.Null:
                return true;
            default:
                malformed = true;
                return Skip(ref reader);
        }
    }

    private static bool Skip(ref Utf8JsonReader reader) =>
        reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray) || reader.TrySkip();
}
