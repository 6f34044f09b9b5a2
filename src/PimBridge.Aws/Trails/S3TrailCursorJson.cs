using System.Text.Json.Serialization;

namespace PimBridge.Aws.Trails;

[JsonSerializable(typeof(S3TrailCursor))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
internal sealed partial class S3TrailCursorJson : JsonSerializerContext;
