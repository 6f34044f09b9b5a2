using PimBridge.Composition;
using PimBridge.Core.Configuration;

namespace PimBridge.Lambda.Tests;

public sealed class WatcherConfigurationTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pimbridge-lambda-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_config_json_variable_becomes_the_engine_file_in_the_temp_folder_and_the_store_is_dynamodb()
    {
        var json = $"{{\"Mappings\":[],\"Test\":\"{Guid.NewGuid():N}\"}}";
        var configuration = WatcherConfiguration.Build(new Dictionary<string, string?>
        {
            [WatcherConfiguration.ConfigJsonVariable] = json,
            ["PimBridge__DynamoDbTable"] = "pimbridge-state",
        }, "/nonexistent");

        var file = CompositionSettings.EngineConfigFile(configuration);
        Assert.Equal(Path.GetTempPath(), Path.GetDirectoryName(file) + Path.DirectorySeparatorChar);
        Assert.Equal(json, File.ReadAllText(file));
        Assert.Equal(file, CompositionSettings.EngineConfigFile(configuration)); // once per content
        Assert.Equal("dynamodb", configuration["PimBridge:Store"]);
        Assert.Equal("pimbridge-state", configuration["PimBridge:DynamoDbTable"]);
        File.Delete(file);
    }

    [Fact]
    public void Without_the_variable_the_packaged_file_is_used()
    {
        File.WriteAllText(Path.Combine(_folder, "pimbridge.json"), "{}");
        var configuration = WatcherConfiguration.Build(new Dictionary<string, string?> { ["PimBridge__DynamoDbTable"] = "t" }, _folder);
        Assert.Equal(Path.Combine(_folder, "pimbridge.json"), CompositionSettings.EngineConfigFile(configuration));
    }

    [Fact]
    public void A_missing_table_a_non_dynamodb_store_or_no_configuration_is_an_error_naming_the_fix()
    {
        var noTable = Assert.Throws<ConfigurationException>(() => WatcherConfiguration.Build(
            new Dictionary<string, string?> { [WatcherConfiguration.ConfigJsonVariable] = "{}" }, _folder));
        Assert.Contains("PimBridge__DynamoDbTable", noTable.Message);

        var sqlite = Assert.Throws<ConfigurationException>(() => WatcherConfiguration.Build(
            new Dictionary<string, string?> { [WatcherConfiguration.ConfigJsonVariable] = "{}", ["PimBridge__Store"] = "sqlite", ["PimBridge__DynamoDbTable"] = "t" }, _folder));
        Assert.Contains("PimBridge__Store", sqlite.Message);

        var none = Assert.Throws<ConfigurationException>(() => WatcherConfiguration.Build(
            new Dictionary<string, string?> { ["PimBridge__DynamoDbTable"] = "t" }, Directory.CreateDirectory(Path.Combine(_folder, "empty-package")).FullName));
        Assert.Contains(WatcherConfiguration.ConfigJsonVariable, none.Message);
    }
}
