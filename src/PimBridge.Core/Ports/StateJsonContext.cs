using System.Text.Json.Serialization;
using PimBridge.Core.Domain;

namespace PimBridge.Core.Ports;

[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(Grant))]
[JsonSerializable(typeof(LedgerEntry))]
[JsonSerializable(typeof(Intent))]
[JsonSerializable(typeof(SessionFence))]
[JsonSerializable(typeof(Alert))]
internal sealed partial class StateJsonContext : JsonSerializerContext;
