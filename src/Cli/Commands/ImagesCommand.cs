using System.CommandLine;
using System.Globalization;
using Builder.Cli.Remote;
using Builder.Cli.Store;
using Builder.Exporter.Store;
using Builder.Oci.References;

namespace Builder.Cli.Commands;

/// <summary><c>builder images [-q] [--digests]</c>: the local store as Docker's table, one row per name.</summary>
internal static class ImagesCommand
{
    public static Command Create(CliContext cli)
    {
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image ids" };
        var digests = new Option<bool>("--digests") { Description = "Show manifest digests" };
        var command = new Command("images", "List the images in the local store") { quiet, digests };
        command.SetAction((result, _) => StoreCommand.RunAsync(cli, async () =>
        {
            if (RemoteOptions.Connect(result) is { } remote)
            {
                using (remote)
                {
                    return await RemoteStoreCommands.ImagesAsync(cli, remote, images => WriteAsync(cli, images, result.GetValue(quiet), result.GetValue(digests))).ConfigureAwait(false);
                }
            }
            using var session = StoreSession.Open(result);
            return await WriteAsync(cli, session.Images.List(), result.GetValue(quiet), result.GetValue(digests)).ConfigureAwait(false);
        }));
        return command;
    }

    /// <summary>Docker's table (or only ids) for <paramref name="images"/>, from the local store or a server.</summary>
    internal static async Task<int> WriteAsync(CliContext cli, IReadOnlyList<StoredImage> images, bool quietOutput, bool showDigests)
    {
        if (quietOutput)
        {
            foreach (var id in images.Select(i => i.ShortId).Distinct())
            {
                await cli.Out.WriteLineAsync(id).ConfigureAwait(false);
            }
            return ExitCodes.Success;
        }
        var rows = new List<string[]>();
        var header = showDigests
            ? new[] { "REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE" }
            : ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"];
        rows.Add(header);
        var now = DateTimeOffset.UtcNow;
        foreach (var image in images)
        {
            List<ImageReference?> names = image.Names.Count > 0 ? image.Names.Select(n => (ImageReference?)ImageReference.Parse(n)).ToList() : [null];
            foreach (var name in names)
            {
                var repository = name is null ? "<none>" : StoreCommand.FamiliarRepository(name);
                var tag = name?.Tag ?? "<none>";
                var row = new List<string> { repository, tag };
                if (showDigests)
                {
                    row.Add(image.Manifest.Digest.ToString());
                }
                row.AddRange([image.ShortId, Ago(now - image.Created), HumanSize(image.Size)]);
                rows.Add(row.ToArray());
            }
        }
        var widths = Enumerable.Range(0, header.Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            var line = string.Join("   ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c])));
            await cli.Out.WriteLineAsync(line).ConfigureAwait(false);
        }
        return ExitCodes.Success;
    }

    /// <summary>Docker's CREATED column: "5 minutes ago", "2 days ago".</summary>
    internal static string Ago(TimeSpan age)
    {
        if (age < TimeSpan.FromSeconds(1))
        {
            return "Less than a second ago";
        }
        static string Unit(double value, string unit) => $"{(int)value} {unit}{((int)value == 1 ? "" : "s")} ago";
        return age.TotalMinutes < 1 ? Unit(age.TotalSeconds, "second")
            : age.TotalHours < 1 ? Unit(age.TotalMinutes, "minute")
            : age.TotalDays < 2 ? Unit(age.TotalHours, "hour")
            : age.TotalDays < 14 ? Unit(age.TotalDays, "day")
            : age.TotalDays < 60 ? Unit(age.TotalDays / 7, "week")
            : age.TotalDays < 730 ? Unit(age.TotalDays / 30, "month")
            : Unit(age.TotalDays / 365, "year");
    }

    /// <summary>Docker's SIZE column: decimal units with three significant digits (4.26MB).</summary>
    internal static string HumanSize(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1000 && unit < units.Length - 1)
        {
            value /= 1000;
            unit++;
        }
        return value.ToString("0.##", CultureInfo.InvariantCulture) + units[unit];
    }
}
