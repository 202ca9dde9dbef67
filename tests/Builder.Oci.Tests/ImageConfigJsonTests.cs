using System.Text.Json;
using Builder.Oci.Image;

namespace Builder.Oci.Tests;

public sealed class ImageConfigJsonTests
{
    [Fact]
    public void SerializesWithOciAndDockerFieldNames()
    {
        var config = new ImageConfig
        {
            Config = new ContainerConfig
            {
                Env = ["PATH=/bin"],
                ExposedPorts = new Dictionary<string, EmptyObject> { ["80/tcp"] = EmptyObject.Instance },
                Healthcheck = new HealthConfig { Test = ["NONE"] },
                OnBuild = ["RUN x"],
            },
            History = [new HistoryEntry { CreatedBy = "RUN x", EmptyLayer = true }],
        };
        var json = JsonSerializer.Serialize(config, ImageJsonContext.Default.ImageConfig);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal("amd64", root.GetProperty("architecture").GetString());
        Assert.Equal("layers", root.GetProperty("rootfs").GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Object, root.GetProperty("config").GetProperty("ExposedPorts").GetProperty("80/tcp").ValueKind);
        Assert.Equal("NONE", root.GetProperty("config").GetProperty("Healthcheck").GetProperty("Test")[0].GetString());
        Assert.True(root.GetProperty("history")[0].GetProperty("empty_layer").GetBoolean());
        Assert.False(root.GetProperty("config").TryGetProperty("Cmd", out _));

        var back = JsonSerializer.Deserialize(json, ImageJsonContext.Default.ImageConfig)!;
        Assert.Equal("RUN x", back.Config.OnBuild![0]);
    }
}
