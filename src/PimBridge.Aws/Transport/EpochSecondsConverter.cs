using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PimBridge.Aws.Transport;

/// <summary>
/// awsJson1_1 timestamps: read epoch seconds as a double (fractions and scientific notation occur; ISO-8601 strings
/// are tolerated), write whole seconds, which every AWS member accepts.
/// </summary>
internal sealed class EpochSecondsConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                return FromSeconds(reader.GetDouble());
            case JsonTokenType.String:
                var text = reader.GetString()!;
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
                    return FromSeconds(seconds);
                if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                    return parsed;
                throw new JsonException($"'{text}' is not a timestamp (expected epoch seconds or ISO-8601).");
            default:
                throw new JsonException($"Expected a timestamp, found {reader.TokenType}.");
        }
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(value.ToUnixTimeSeconds());

    private static DateTimeOffset FromSeconds(double seconds)
    {
        if (double.IsNaN(seconds) || double.IsInfinity(seconds))
            throw new JsonException($"{seconds} is not a timestamp.");
        return DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000));
    }
}
