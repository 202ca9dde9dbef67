using Google.Protobuf;
using Events = Builder.Solver.Progress;

namespace Builder.Server.Protocol;

/// <summary>The solver's progress events and step failures to wire messages and back, field for field.</summary>
public static class ProgressMapping
{
    public static ProgressEvent ToWire(Events.ProgressEvent progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var wire = new ProgressEvent { TimeUnixTicks = progress.Time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks };
        switch (progress)
        {
            case Events.VertexStatus s:
                wire.Vertex = new VertexStatus
                {
                    Id = s.Id,
                    Number = s.Number,
                    Name = s.Name,
                    State = (VertexState)(int)s.State,
                    HasDuration = s.Duration is not null,
                    DurationTicks = s.Duration?.Ticks ?? 0,
                    Failure = s.Failure is null ? null : ToWire(s.Failure),
                };
                break;
            case Events.VertexLog l:
                wire.Log = new VertexLog { Id = l.Id, Number = l.Number, Stream = (int)l.Stream, Data = ByteString.CopyFrom(l.Data.Span), ElapsedTicks = l.Elapsed.Ticks };
                break;
            case Events.VertexProgress p:
                wire.Progress = new VertexProgress { Id = p.Id, Number = p.Number, Item = p.Item, Current = p.Current, HasTotal = p.Total is not null, Total = p.Total ?? 0, Completed = p.Completed };
                break;
            case Events.BuildMessage m:
                wire.Message = new BuildMessage { Level = (int)m.Level, Text = m.Text };
                break;
            default:
                throw new ArgumentException($"unknown progress event {progress.GetType().Name}", nameof(progress));
        }
        return wire;
    }

    /// <summary>The event a wire message carries; null for a kind this side does not know (a newer server).</summary>
    public static Events.ProgressEvent? FromWire(ProgressEvent wire)
    {
        ArgumentNullException.ThrowIfNull(wire);
        var time = new DateTimeOffset(DateTimeOffset.UnixEpoch.UtcTicks + wire.TimeUnixTicks, TimeSpan.Zero);
        return wire.KindCase switch
        {
            ProgressEvent.KindOneofCase.Vertex => new Events.VertexStatus(time, wire.Vertex.Id, wire.Vertex.Number, wire.Vertex.Name,
                (Events.VertexState)(int)wire.Vertex.State,
                wire.Vertex.HasDuration ? TimeSpan.FromTicks(wire.Vertex.DurationTicks) : null,
                wire.Vertex.Failure is null ? null : FromWire(wire.Vertex.Failure)),
            ProgressEvent.KindOneofCase.Log => new Events.VertexLog(time, wire.Log.Id, wire.Log.Number, (Events.LogStream)wire.Log.Stream,
                wire.Log.Data.ToByteArray(), TimeSpan.FromTicks(wire.Log.ElapsedTicks)),
            ProgressEvent.KindOneofCase.Progress => new Events.VertexProgress(time, wire.Progress.Id, wire.Progress.Number, wire.Progress.Item,
                wire.Progress.Current, wire.Progress.HasTotal ? wire.Progress.Total : null, wire.Progress.Completed),
            ProgressEvent.KindOneofCase.Message => new Events.BuildMessage(time, (Events.MessageLevel)wire.Message.Level, wire.Message.Text),
            _ => null,
        };
    }

    public static StepFailure ToWire(Events.StepFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var wire = new StepFailure
        {
            Message = failure.Message,
            SourceFile = failure.SourceFile ?? "",
            StartLine = failure.StartLine,
            EndLine = failure.EndLine,
            HasCommand = failure.Command is not null,
            HasExitCode = failure.ExitCode is not null,
            ExitCode = failure.ExitCode ?? 0,
            HasSignal = failure.Signal is not null,
            Signal = failure.Signal ?? 0,
            OomKilled = failure.OomKilled,
            LogPath = failure.LogPath ?? "",
            KeptStateId = failure.KeptStateId ?? "",
        };
        wire.SourceLines.Add(failure.SourceLines);
        if (failure.Command is not null)
        {
            wire.Command.Add(failure.Command);
        }
        wire.LastLines.Add(failure.LastLines);
        return wire;
    }

    public static Events.StepFailure FromWire(StepFailure wire)
    {
        ArgumentNullException.ThrowIfNull(wire);
        return new Events.StepFailure(wire.Message)
        {
            SourceFile = wire.SourceFile.Length > 0 ? wire.SourceFile : null,
            StartLine = wire.StartLine,
            EndLine = wire.EndLine,
            SourceLines = wire.SourceLines.ToArray(),
            Command = wire.HasCommand ? wire.Command.ToArray() : null,
            ExitCode = wire.HasExitCode ? wire.ExitCode : null,
            Signal = wire.HasSignal ? wire.Signal : null,
            OomKilled = wire.OomKilled,
            LastLines = wire.LastLines.ToArray(),
            LogPath = wire.LogPath.Length > 0 ? wire.LogPath : null,
            KeptStateId = wire.KeptStateId.Length > 0 ? wire.KeptStateId : null,
        };
    }
}
