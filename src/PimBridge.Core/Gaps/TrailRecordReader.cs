using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace PimBridge.Core.Gaps;

/// <summary>
/// Streams CloudTrail files (<c>{"Records":[...]}</c>, gzip or plain) with <see cref="Utf8JsonReader"/> through one
/// fixed buffer, so memory stays flat whatever the file size. Each record is read once: its interesting fields are
/// remembered as positions in the buffer, the <see cref="TrailRecordFilter"/> is asked on those raw bytes, and only
/// the few records it accepts become <see cref="TrailRecord"/>s. Damage is counted in <see cref="TrailScanStats"/>,
/// never thrown: a malformed record is skipped, and a truncated or invalid file keeps the records before the damage.
/// </summary>
public static class TrailRecordReader
{
    /// <summary>Large enough that a refill is rare and a record seldom straddles two fills (measured: 256 KB reads a
    /// corpus about 5% faster than 128 KB; larger buys nothing more).</summary>
    private const int InitialBuffer = 256 * 1024;

    /// <summary>A record larger than this is not CloudTrail (events are capped far below); the file is treated as damaged.</summary>
    private const int MaxRecordBytes = 16 * 1024 * 1024;

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
            PrefixedStream? compressed = null;
            if (length == 2 && buffer[0] == 0x1f && buffer[1] == 0x8b)
            {
                // Gzip: hand the two magic bytes back to the decompressor.
                compressed = new PrefixedStream(buffer.AsSpan(0, 2).ToArray(), stream);
                source = gzip = new GZipStream(compressed, CompressionMode.Decompress);
                length = 0;
            }

            stats.Bytes += length;

            var scan = new FileScan(filter, stats, found);
            var state = new JsonReaderState(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
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
                    catch (Exception e) when (e is InvalidDataException or IOException && compressed is { Faulted: false } && !cancellationToken.IsCancellationRequested)
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
                    stats.Damaged(origin, final
                        ? "the file ends before its JSON does (truncated?); records before the end were kept."
                        : $"invalid JSON ({e.Message}); records before it were kept.");
                    return found;
                }

                if (final)
                {
                    if (!scan.SawRecords)
                        stats.Damaged(origin, "no \"Records\" array: not a CloudTrail log file.");
                    return found;
                }

                buffer.AsSpan(consumed, length - consumed).CopyTo(buffer);
                length -= consumed;
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
        var scan = new FileScan(filter, stats, found);
        var bytes = Encoding.UTF8.GetBytes(cloudTrailEvent);
        stats.Bytes += bytes.Length;
        try
        {
            scan.ParseSingle(bytes);
        }
        catch (JsonException)
        {
            stats.Records++;
            stats.MalformedRecords++;
        }

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
        public Slice EventId, EventTime, EventSource, EventName, Region, Recipient;
        public Slice IdentityType, PrincipalId, Arn, IdentityAccount, RoleName, CreationDate, OnBehalfOf;
        public Slice ErrorCode, ErrorMessage, SourceIp, UserAgent, TargetAccount, TargetRole;
        public bool Malformed;
    }

    /// <summary>The scan of one file: the position in its structure, and what it found.</summary>
    private sealed class FileScan(TrailRecordFilter filter, TrailScanStats stats, List<TrailRecord> found)
    {
        private bool _inRecords;
        private bool _expectRecordsArray;
        private char[] _scratch = new char[256];
        private char[] _idScratch = new char[128];

        public bool SawRecords { get; private set; }

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
                if (!reader.Read())
                {
                    state = reader.CurrentState;
                    return (int)reader.BytesConsumed;
                }

                if (_inRecords && reader.CurrentDepth == 2 && reader.TokenType == JsonTokenType.StartObject)
                {
                    var record = default(RawRecord);
                    if (!ReadRecord(ref reader, ref record))
                    {
                        state = before;
                        return consumedBefore;
                    }

                    Consider(data, ref record);
                    continue;
                }

                switch (reader.CurrentDepth, reader.TokenType)
                {
                    case (1, JsonTokenType.PropertyName):
                        _expectRecordsArray = reader.ValueTextEquals("Records"u8);
                        break;
                    case (1, JsonTokenType.StartArray) when _expectRecordsArray:
                        _inRecords = SawRecords = true;
                        break;
                    case (1, JsonTokenType.EndArray):
                        _inRecords = false;
                        break;
                    case (2, _) when _inRecords && reader.TokenType is not JsonTokenType.EndArray and not JsonTokenType.EndObject:
                        // A Records element that is not an object.
                        stats.Records++;
                        stats.MalformedRecords++;
                        if (!reader.TrySkip())
                        {
                            stats.Records--;
                            stats.MalformedRecords--;
                            state = before;
                            return consumedBefore;
                        }

                        break;
                }
            }
        }

        /// <summary>One record given alone, as LookupEvents returns it.</summary>
        public void ParseSingle(ReadOnlySpan<byte> data)
        {
            var reader = new Utf8JsonReader(data, isFinalBlock: true, state: default);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                stats.Records++;
                stats.MalformedRecords++;
                return;
            }

            var record = default(RawRecord);
            if (!ReadRecord(ref reader, ref record)) throw new JsonException("The event ends early.");
            if (reader.Read()) throw new JsonException("The event has data after its closing brace.");
            Consider(data, ref record);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Consider(ReadOnlySpan<byte> data, ref RawRecord r)
        {
            stats.Records++;
            if (r.Malformed || !r.EventId.Has || !r.EventTime.Has || !r.EventName.Has || !r.EventSource.Has)
            {
                stats.MalformedRecords++;
                return;
            }

            if (!filter.IsEverything && !Wanted(data, ref r))
                return;

            if (!DateTimeOffset.TryParse(r.EventTime.ToText(data), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var eventTime))
            {
                stats.MalformedRecords++;
                return;
            }

            DateTimeOffset? created = null;
            if (r.CreationDate.Has)
            {
                if (!DateTimeOffset.TryParse(r.CreationDate.ToText(data), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var c))
                {
                    stats.MalformedRecords++;
                    return;
                }

                created = c;
            }

            stats.Candidates++;
            found.Add(new TrailRecord
            {
                EventId = r.EventId.ToText(data)!,
                EventTime = eventTime,
                EventSource = r.EventSource.ToText(data)!,
                EventName = r.EventName.ToText(data)!,
                AwsRegion = r.Region.ToText(data),
                AccountId = r.Recipient.ToText(data) ?? r.IdentityAccount.ToText(data),
                IdentityType = r.IdentityType.ToText(data),
                RoleName = r.RoleName.ToText(data),
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
            if (r.IdentityType.Is(data, "AssumedRole"u8))
            {
                if (!r.RoleName.Has) return false;
                var permissionSet = TrailRecord.PermissionSetNameOf(r.RoleName.Chars(data, ref _scratch));
                if (permissionSet.IsEmpty || !filter.WantsPermissionSet(permissionSet)) return false;
            }
            else if (!(r.EventName.Is(data, "GetRoleCredentials"u8) && r.EventSource.Is(data, "sso.amazonaws.com"u8)))
            {
                return false;
            }

            // Session names and user ids are short; decode them into separate scratch space (no string per record).
            return filter.WantsUser(SessionName(data, ref r), r.OnBehalfOf.Chars(data, ref _idScratch));
        }

        /// <summary>The role session name: after the <c>:</c> of principalId, else the last segment of the ARN.</summary>
        private ReadOnlySpan<char> SessionName(ReadOnlySpan<byte> data, ref RawRecord r)
        {
            if (r.PrincipalId.Has)
            {
                var principal = r.PrincipalId.Chars(data, ref _scratch);
                var colon = principal.IndexOf(':');
                if (colon >= 0) return principal[(colon + 1)..];
            }

            if (r.Arn.Has && r.IdentityType.Is(data, "AssumedRole"u8))
            {
                var arn = r.Arn.Chars(data, ref _scratch);
                var slash = arn.LastIndexOf('/');
                if (slash >= 0) return arn[(slash + 1)..];
            }

            return [];
        }
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
                7 when name.SequenceEqual("eventID"u8) => Capture(ref reader, ref r.EventId, ref r.Malformed),
                9 when name.SequenceEqual("eventTime"u8) => Capture(ref reader, ref r.EventTime, ref r.Malformed),
                9 when name.SequenceEqual("eventName"u8) => Capture(ref reader, ref r.EventName, ref r.Malformed),
                9 when name.SequenceEqual("errorCode"u8) => Capture(ref reader, ref r.ErrorCode, ref r.Malformed),
                9 when name.SequenceEqual("awsRegion"u8) => Capture(ref reader, ref r.Region, ref r.Malformed),
                9 when name.SequenceEqual("userAgent"u8) => Capture(ref reader, ref r.UserAgent, ref r.Malformed),
                11 when name.SequenceEqual("eventSource"u8) => Capture(ref reader, ref r.EventSource, ref r.Malformed),
                12 when name.SequenceEqual("userIdentity"u8) => Object(ref reader, ref r, Part.UserIdentity),
                12 when name.SequenceEqual("errorMessage"u8) => Capture(ref reader, ref r.ErrorMessage, ref r.Malformed),
                15 when name.SequenceEqual("sourceIPAddress"u8) => Capture(ref reader, ref r.SourceIp, ref r.Malformed),
                18 when name.SequenceEqual("recipientAccountId"u8) => Capture(ref reader, ref r.Recipient, ref r.Malformed),
                // Usually an object; some services write it as a JSON string, which holds nothing we need.
                19 when name.SequenceEqual("serviceEventDetails"u8) => reader.TokenType == JsonTokenType.String || Object(ref reader, ref r, Part.ServiceEventDetails),
                _ => Skip(ref reader),
            };
            if (!ok) return false;
        }
    }

    /// <summary>The nested objects whose properties the reader looks at.</summary>
    private enum Part { UserIdentity, OnBehalfOf, SessionContext, SessionIssuer, Attributes, ServiceEventDetails }

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
            3 when name.SequenceEqual("arn"u8) => Capture(ref reader, ref r.Arn, ref r.Malformed),
            4 when name.SequenceEqual("type"u8) => Capture(ref reader, ref r.IdentityType, ref r.Malformed),
            9 when name.SequenceEqual("accountId"u8) => Capture(ref reader, ref r.IdentityAccount, ref r.Malformed),
            10 when name.SequenceEqual("onBehalfOf"u8) => Object(ref reader, ref r, Part.OnBehalfOf),
            11 when name.SequenceEqual("principalId"u8) => Capture(ref reader, ref r.PrincipalId, ref r.Malformed),
            14 when name.SequenceEqual("sessionContext"u8) => Object(ref reader, ref r, Part.SessionContext),
            _ => Skip(ref reader),
        },
        Part.OnBehalfOf => name.SequenceEqual("userId"u8) ? Capture(ref reader, ref r.OnBehalfOf, ref r.Malformed) : Skip(ref reader),
        Part.SessionContext => name.Length switch
        {
            10 when name.SequenceEqual("attributes"u8) => Object(ref reader, ref r, Part.Attributes),
            13 when name.SequenceEqual("sessionIssuer"u8) => Object(ref reader, ref r, Part.SessionIssuer),
            _ => Skip(ref reader),
        },
        Part.SessionIssuer => name.SequenceEqual("userName"u8) ? Capture(ref reader, ref r.RoleName, ref r.Malformed) : Skip(ref reader),
        Part.Attributes => name.SequenceEqual("creationDate"u8) ? Capture(ref reader, ref r.CreationDate, ref r.Malformed) : Skip(ref reader),
        Part.ServiceEventDetails => name switch
        {
            _ when name.SequenceEqual("role_name"u8) => Capture(ref reader, ref r.TargetRole, ref r.Malformed),
            _ when name.SequenceEqual("account_id"u8) => Capture(ref reader, ref r.TargetAccount, ref r.Malformed),
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

    /// <summary>Replays a few already-read bytes before the rest of a stream (the gzip magic we peeked at).</summary>
    private sealed class PrefixedStream(byte[] prefix, Stream inner) : Stream
    {
        private int _position;

        /// <summary>Whether the inner stream itself failed (as opposed to the decompressor reading it).</summary>
        public bool Faulted { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position < prefix.Length)
            {
                var n = Math.Min(buffer.Length, prefix.Length - _position);
                prefix.AsSpan(_position, n).CopyTo(buffer);
                _position += n;
                return n;
            }

            try
            {
                return inner.Read(buffer);
            }
            catch
            {
                Faulted = true;
                throw;
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position < prefix.Length) return Read(buffer.Span);
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                Faulted = true;
                throw;
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
