using System.CommandLine;
using System.Text.Json;
using Builder.Cli.Remote;
using Builder.Cli.Store;
using Builder.Exporter.Store;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder inspect IMAGE</c>: one JSON object with <c>id</c> (config digest), <c>names</c>,
/// <c>manifestDigest</c>, <c>manifest</c> and <c>config</c> (both exactly as stored), plus size and created.
/// </summary>
internal static class InspectCommand
{
    public static Command Create(CliContext cli)
    {
        var image = new Argument<string>("IMAGE") { Description = "Image name, id or digest" };
        var command = new Command("inspect", "Print an image's manifest and config as JSON") { image };
        command.SetAction((result, _) => StoreCommand.RunAsync(cli, async () =>
        {
            if (RemoteOptions.Connect(result) is { } remote)
            {
                using (remote)
                {
                    return await RemoteStoreCommands.InspectAsync(cli, remote, result.GetValue(image)!, WriteAsync).ConfigureAwait(false);
                }
            }
            using var session = StoreSession.Open(result);
            var stored = session.Images.Require(result.GetValue(image)!);
            return await WriteAsync(cli, stored, session.Images.ReadBlob(stored.Manifest.Digest), session.Images.ReadBlob(stored.ConfigDigest)).ConfigureAwait(false);
        }));
        return command;
    }

    /// <summary>The inspect document of <paramref name="stored"/> with its manifest and config as stored (locally or on a server).</summary>
    internal static async Task<int> WriteAsync(CliContext cli, StoredImage stored, byte[] manifestBytes, byte[] configBytes)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("id", stored.ConfigDigest.ToString());
            json.WriteStartArray("names");
            foreach (var name in stored.Names)
            {
                json.WriteStringValue(name);
            }
            json.WriteEndArray();
            json.WriteString("manifestDigest", stored.Manifest.Digest.ToString());
            json.WriteString("created", stored.Created.ToString("O"));
            json.WriteNumber("size", stored.Size);
            json.WritePropertyName("manifest");
            using (var manifest = JsonDocument.Parse(manifestBytes))
            {
                manifest.WriteTo(json);
            }
            json.WritePropertyName("config");
            using (var config = JsonDocument.Parse(configBytes))
            {
                config.WriteTo(json);
            }
            json.WriteEndObject();
        }
        await cli.Out.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.ToArray())).ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
