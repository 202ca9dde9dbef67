using System.Text;
using System.Text.Json;
using Builder.Cli.Progress;
using Builder.Solver.Progress;

namespace Builder.Cli.Tests.Progress;

public sealed class RawJsonProgressRendererTests
{
    private static async Task<List<JsonElement>> RenderAsync(Action<IProgressRenderer, Timeline> events, BuildOutcome outcome)
    {
        var output = new StringWriter { NewLine = "\n" };
        var time = new Timeline();
        await using var renderer = new RawJsonProgressRenderer(output);
        events(renderer, time);
        await renderer.FinishAsync(outcome);
        return output.ToString().TrimEnd('\n').Split('\n').Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
    }

    [Fact]
    public async Task EveryEventIsOneJsonLineWithItsFields()
    {
        var failure = new StepFailure("process \"/bin/sh -c make\" did not complete successfully: exit code: 2")
        {
            SourceFile = "Dockerfile",
            StartLine = 12,
            EndLine = 13,
            SourceLines = ["RUN make \\", "    all"],
            Command = ["/bin/sh", "-c", "make all"],
            ExitCode = 2,
            LastLines = ["cc -c main.c", "main.c:1: error"],
            LogPath = "/var/lib/builder/logs/3.log",
            KeptStateId = "3f2a9c1b",
        };
        var events = await RenderAsync((r, t) =>
        {
            r.Report(t.Running(3, "[build 3/5] RUN make"));
            r.Report(t.Log(3, "héllo\n", 0.5));
            r.Report(t.Progress(3, "transferring context:", 10, null));
            r.Report(t.Warning("careful"));
            r.Report(t.Failed(3, "[build 3/5] RUN make", failure, seconds: 1.5));
        }, BuildOutcome.Failed(failure));

        Assert.Equal(["vertex", "log", "progress", "message", "vertex", "result"], events.Select(e => e.GetProperty("type").GetString()));

        var running = events[0];
        Assert.Equal(Timeline.Id(3), running.GetProperty("id").GetString());
        Assert.Equal(3, running.GetProperty("number").GetInt32());
        Assert.Equal("[build 3/5] RUN make", running.GetProperty("name").GetString());
        Assert.Equal("running", running.GetProperty("state").GetString());
        Assert.Equal(Timeline.Start, running.GetProperty("time").GetDateTimeOffset());
        Assert.False(running.TryGetProperty("duration", out _));
        Assert.False(running.TryGetProperty("failure", out _));

        var log = events[1];
        Assert.Equal("héllo\n", log.GetProperty("data").GetString());
        Assert.Equal("stdout", log.GetProperty("stream").GetString());
        Assert.Equal(0.5, log.GetProperty("elapsed").GetDouble());
        Assert.False(log.TryGetProperty("encoding", out _));

        var progress = events[2];
        Assert.Equal("transferring context:", progress.GetProperty("item").GetString());
        Assert.Equal(10, progress.GetProperty("current").GetInt64());
        Assert.False(progress.TryGetProperty("total", out _));
        Assert.False(progress.GetProperty("completed").GetBoolean());

        Assert.Equal("warning", events[3].GetProperty("level").GetString());
        Assert.Equal("careful", events[3].GetProperty("text").GetString());

        var failed = events[4];
        Assert.Equal("failed", failed.GetProperty("state").GetString());
        Assert.Equal(1.5, failed.GetProperty("duration").GetDouble());
        var json = failed.GetProperty("failure");
        Assert.Equal(failure.Message, json.GetProperty("message").GetString());
        Assert.Equal("Dockerfile", json.GetProperty("sourceFile").GetString());
        Assert.Equal(12, json.GetProperty("startLine").GetInt32());
        Assert.Equal(13, json.GetProperty("endLine").GetInt32());
        Assert.Equal(failure.SourceLines, json.GetProperty("sourceLines").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(failure.Command, json.GetProperty("command").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(2, json.GetProperty("exitCode").GetInt32());
        Assert.Equal(failure.LastLines, json.GetProperty("lastLines").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal("/var/lib/builder/logs/3.log", json.GetProperty("logPath").GetString());
        Assert.Equal("3f2a9c1b", json.GetProperty("keptStateId").GetString());
        Assert.False(json.TryGetProperty("signal", out _));

        var result = events[5];
        Assert.Equal("failed", result.GetProperty("status").GetString());
        Assert.Equal(2, result.GetProperty("failure").GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task BinaryLogDataIsBase64()
    {
        byte[] data = [0xff, 0xfe, 0x00, 0x41, 0x0a];
        var events = await RenderAsync((r, t) =>
        {
            r.Report(t.Log(1, data, 0.1, LogStream.Stderr));
        }, BuildOutcome.Succeeded);
        var log = events[0];
        Assert.Equal("base64", log.GetProperty("encoding").GetString());
        Assert.Equal("stderr", log.GetProperty("stream").GetString());
        Assert.Equal(data, Convert.FromBase64String(log.GetProperty("data").GetString()!));
        Assert.Equal("succeeded", events[1].GetProperty("status").GetString());
    }

    [Fact]
    public async Task StatesAndDurationsRoundTrip()
    {
        var events = await RenderAsync((r, t) =>
        {
            r.Report(t.Cached(1, "a"));
            r.Report(t.Done(2, "b", 0.25));
            r.Report(t.Canceled(3, "c"));
        }, BuildOutcome.Canceled);
        Assert.Equal(["cached", "done", "canceled"], events.Take(3).Select(e => e.GetProperty("state").GetString()));
        Assert.Equal(0.25, events[1].GetProperty("duration").GetDouble());
        Assert.Equal("canceled", events[3].GetProperty("status").GetString());
    }

    [Fact]
    public async Task ReportFromManyThreadsLosesNothing()
    {
        const int threads = 8;
        const int eventsEach = 500;
        var output = new StringWriter { NewLine = "\n" };
        var time = new Timeline();
        await using var renderer = new RawJsonProgressRenderer(output);
        await Parallel.ForAsync(0, threads, (vertex, _) =>
        {
            for (var i = 0; i < eventsEach; i++)
            {
                renderer.Report(time.Log(vertex, Encoding.UTF8.GetBytes($"{vertex}:{i}\n"), 0));
            }
            return ValueTask.CompletedTask;
        });
        await renderer.FinishAsync(BuildOutcome.Succeeded);
        var lines = output.ToString().TrimEnd('\n').Split('\n');
        Assert.Equal(threads * eventsEach + 1, lines.Length);
        var seen = lines[..^1].Select(l => JsonDocument.Parse(l).RootElement.GetProperty("data").GetString()).ToHashSet();
        Assert.Equal(threads * eventsEach, seen.Count);
    }
}
