using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace PimBridge.Core.Gaps;

/// <summary>
/// One record as <see cref="TrailFileScan"/> reads it: the positions of its interesting string values in the buffer,
/// captured in one pass by <see cref="Read"/>, so the filter can be asked on raw bytes and only a wanted record is decoded.
/// </summary>
internal struct RawTrailRecord
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

    /// <summary>
    /// A string value found in the buffer: the position of its raw bytes between the quotes. A JSON-escaped value (rare)
    /// is decoded only when asked for, so a record that is not wanted costs no allocation whatever its strings hold.
    /// </summary>
    internal struct Slice
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

    // ---------------------------------------------------------------- record structure
    // Each method starts on the value's first token and returns false when the data ends before the value does.
    // The nested objects are told apart by an enum, not by delegates: no indirect call per property.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool Read(ref Utf8JsonReader reader, ref RawTrailRecord r)
    {
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.EndObject) return true;
            var name = reader.ValueIsEscaped ? default : reader.ValueSpan;
            if (!reader.Read()) return false;
            var ok = name.Length switch
            {
                6 when Named(name, "detail"u8) => reader.TokenType == JsonTokenType.StartObject ? Read(ref reader, ref r) : Skip(ref reader),
                7 when Named(name, "eventID"u8) => Capture(ref reader, ref r.EventId, ref r.Malformed),
                9 when Named(name, "eventTime"u8) => Capture(ref reader, ref r.EventTime, ref r.Malformed),
                9 when Named(name, "eventName"u8) => ReadEventName(ref reader, ref r),
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

    private static bool ReadEventName(ref Utf8JsonReader reader, ref RawTrailRecord r)
    {
        r.Saml = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("AssumeRoleWithSAML"u8);
        return Capture(ref reader, ref r.EventName, ref r.Malformed);
    }

    /// <summary><c>resources</c> of a sign-in: the ARN of the element whose type is <c>AWS::IAM::Role</c>. Anything else is skipped, never malformed.</summary>
    private static bool Resources(ref Utf8JsonReader reader, ref RawTrailRecord r)
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
    private static bool Object(ref Utf8JsonReader reader, ref RawTrailRecord r, Part part)
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
    private static bool Property(ref Utf8JsonReader reader, ReadOnlySpan<byte> name, ref RawTrailRecord r, Part part) => part switch
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
