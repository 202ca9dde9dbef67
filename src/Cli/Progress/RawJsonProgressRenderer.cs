using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using Builder.Solver.Progress;

namespace Builder.Cli.Progress;

/// <summary>
/// <c>--progress=rawjson</c>: one JSON object per line per event on stderr, for programs. Field
/// names are stable (docs/ARCHITECTURE.md, "Progress output"): every object has <c>type</c>
/// (<c>vertex</c>, <c>log</c>, <c>progress</c>, <c>message</c>, and <c>result</c> at the end).
/// Log data is a UTF-8 string when the chunk is valid UTF-8, else base64 with <c>"encoding": "base64"</c>.
/// </summary>
internal sealed class RawJsonProgressRenderer : IProgressRenderer
{
    private static readonly RawJsonContext Json = new(new JsonSerializerOptions
    {
        // Readable output for people tailing it; still valid JSON for any parser.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    });

    private readonly OutputBatch batch;
    private readonly ProgressPump pump;
    private int finished;

    public RawJsonProgressRenderer(TextWriter output)
    {
        batch = new OutputBatch(output);
        pump = new ProgressPump(Write, batch.WriteOut);
    }

    public void Report(ProgressEvent progress) => pump.Enqueue(progress);

    public async ValueTask FinishAsync(BuildOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (Interlocked.Exchange(ref finished, 1) != 0)
        {
            return;
        }
        await pump.CompleteAsync().ConfigureAwait(false);
        if (pump.Fault is not null)
        {
            return;
        }
        var result = new JsonResult
        {
            Status = outcome.Kind switch
            {
                BuildOutcomeKind.Succeeded => "succeeded",
                BuildOutcomeKind.Failed => "failed",
                _ => "canceled",
            },
            Step = outcome.StepName,
            Failure = outcome.Failure is { } failure ? JsonFailure.From(failure) : null,
            DroppedLogBytes = pump.DroppedLogBytes is > 0 and var dropped ? dropped : null,
        };
        try
        {
            batch.Writer.WriteLine(JsonSerializer.Serialize(result, Json.JsonResult));
            batch.WriteOut();
        }
        catch (IOException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref finished, 1) != 0)
        {
            return;
        }
        await pump.CompleteAsync().ConfigureAwait(false);
    }

    private void Write(ProgressEvent progress)
    {
        var line = progress switch
        {
            VertexStatus status => JsonSerializer.Serialize(JsonVertex.From(status), Json.JsonVertex),
            VertexLog log => JsonSerializer.Serialize(JsonLog.From(log), Json.JsonLog),
            VertexProgress item => JsonSerializer.Serialize(JsonProgress.From(item), Json.JsonProgress),
            BuildMessage message => JsonSerializer.Serialize(JsonMessage.From(message), Json.JsonMessage),
            _ => null,
        };
        if (line is not null)
        {
            batch.Writer.WriteLine(line);
            batch.WriteIfLarge();
        }
    }

    internal static string StateName(VertexState state) => state switch
    {
        VertexState.Running => "running",
        VertexState.Cached => "cached",
        VertexState.Done => "done",
        VertexState.Failed => "failed",
        _ => "canceled",
    };
}

/// <summary>A vertex changed state. <c>duration</c> is in seconds.</summary>
internal sealed class JsonVertex
{
    [JsonPropertyOrder(-1)]
    public string Type { get; init; } = "vertex";
    public DateTimeOffset Time { get; init; }
    public required string Id { get; init; }
    public int Number { get; init; }
    public required string Name { get; init; }
    public required string State { get; init; }
    public double? Duration { get; init; }
    public JsonFailure? Failure { get; init; }

    public static JsonVertex From(VertexStatus status) => new()
    {
        Time = status.Time,
        Id = status.Id,
        Number = status.Number,
        Name = status.Name,
        State = RawJsonProgressRenderer.StateName(status.State),
        Duration = status.Duration?.TotalSeconds,
        Failure = status.Failure is { } failure ? JsonFailure.From(failure) : null,
    };
}

/// <summary>A chunk of a vertex's output. <c>elapsed</c> is seconds since the vertex started.</summary>
internal sealed class JsonLog
{
    [JsonPropertyOrder(-1)]
    public string Type { get; init; } = "log";
    public DateTimeOffset Time { get; init; }
    public required string Id { get; init; }
    public int Number { get; init; }
    public required string Stream { get; init; }
    public double Elapsed { get; init; }
    public required string Data { get; init; }
    public string? Encoding { get; init; }

    public static JsonLog From(VertexLog log)
    {
        var span = log.Data.Span;
        var text = Utf8.IsValid(span);
        return new()
        {
            Time = log.Time,
            Id = log.Id,
            Number = log.Number,
            Stream = log.Stream == LogStream.Stderr ? "stderr" : "stdout",
            Elapsed = log.Elapsed.TotalSeconds,
            Data = text ? System.Text.Encoding.UTF8.GetString(span) : Convert.ToBase64String(span),
            Encoding = text ? null : "base64",
        };
    }
}

/// <summary>Measurable progress inside a vertex; <c>total</c> is absent when unknown.</summary>
internal sealed class JsonProgress
{
    [JsonPropertyOrder(-1)]
    public string Type { get; init; } = "progress";
    public DateTimeOffset Time { get; init; }
    public required string Id { get; init; }
    public int Number { get; init; }
    public required string Item { get; init; }
    public long Current { get; init; }
    public long? Total { get; init; }
    public bool Completed { get; init; }

    public static JsonProgress From(VertexProgress item) => new()
    {
        Time = item.Time,
        Id = item.Id,
        Number = item.Number,
        Item = item.Item,
        Current = item.Current,
        Total = item.Total,
        Completed = item.Completed,
    };
}

/// <summary>A message about the whole build; <c>level</c> is info, warning or error.</summary>
internal sealed class JsonMessage
{
    [JsonPropertyOrder(-1)]
    public string Type { get; init; } = "message";
    public DateTimeOffset Time { get; init; }
    public required string Level { get; init; }
    public required string Text { get; init; }

    public static JsonMessage From(BuildMessage message) => new()
    {
        Time = message.Time,
        Level = message.Level switch
        {
            MessageLevel.Warning => "warning",
            MessageLevel.Error => "error",
            _ => "info",
        },
        Text = message.Text,
    };
}

/// <summary>
/// The end of the build: <c>status</c> is succeeded, failed or canceled; <c>droppedLogBytes</c>
/// when output was dropped because the reader fell behind.
/// </summary>
internal sealed class JsonResult
{
    [JsonPropertyOrder(-1)]
    public string Type { get; init; } = "result";
    public required string Status { get; init; }
    public string? Step { get; init; }
    public JsonFailure? Failure { get; init; }
    public long? DroppedLogBytes { get; init; }
}

/// <summary>Why a step failed (<see cref="StepFailure"/>); absent fields were not known.</summary>
internal sealed class JsonFailure
{
    public required string Message { get; init; }
    public string? SourceFile { get; init; }
    public int? StartLine { get; init; }
    public int? EndLine { get; init; }
    public IReadOnlyList<string>? SourceLines { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    public int? ExitCode { get; init; }
    public int? Signal { get; init; }
    public bool? OomKilled { get; init; }
    public IReadOnlyList<string>? LastLines { get; init; }
    public string? LogPath { get; init; }
    public string? KeptStateId { get; init; }

    public static JsonFailure From(StepFailure failure) => new()
    {
        Message = failure.Message,
        SourceFile = failure.SourceFile,
        StartLine = failure.StartLine > 0 ? failure.StartLine : null,
        EndLine = failure.EndLine > 0 ? failure.EndLine : null,
        SourceLines = failure.SourceLines.Count > 0 ? failure.SourceLines : null,
        Command = failure.Command,
        ExitCode = failure.ExitCode,
        Signal = failure.Signal,
        OomKilled = failure.OomKilled ? true : null,
        LastLines = failure.LastLines.Count > 0 ? failure.LastLines : null,
        LogPath = failure.LogPath,
        KeptStateId = failure.KeptStateId,
    };
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JsonVertex))]
[JsonSerializable(typeof(JsonLog))]
[JsonSerializable(typeof(JsonProgress))]
[JsonSerializable(typeof(JsonMessage))]
[JsonSerializable(typeof(JsonResult))]
internal sealed partial class RawJsonContext : JsonSerializerContext;
